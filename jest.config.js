/** @type {import('jest').Config} */
module.exports = {
  // Node's, closing what a failed test file left open (tests/helpers/environment.js).
  testEnvironment: '<rootDir>/tests/helpers/environment.js',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        // import() stays native, for ESM-only packages (jose) in tests.
        module: { type: 'commonjs', ignoreDynamic: true },
      },
    ],
  },
  // Each test file starts its own server on its own database; two files at a time suit a 2-core machine.
  maxWorkers: 2,
  testTimeout: 60_000,
  slowTestThreshold: 30,
};
