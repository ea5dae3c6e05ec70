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
  // A worker that has run many files holds some 1.5 GiB; on a loaded 2-core machine tearing that down
  // takes longer than Jest's default 500 ms, even with the event loop empty at once (measured with the
  // diagnostic in tests/helpers/environment.js), and Jest then reports a leak that is not one. A real
  // leak keeps the worker alive for good: it is still force-exited and reported (CI fails on that), and
  // the environment names the file and the handle.
  workerGracefulExitTimeout: 10_000,
  testTimeout: 60_000,
  slowTestThreshold: 30,
};
