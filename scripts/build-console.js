'use strict';
// Bundles console/ (the admin console) into dist/console with Vite, unless the bundle there was built from
// the same sources and packages (scripts/vite-bundle.js).
//   node scripts/build-console.js          build when console/ or its packages changed (npm run console:build)
//   node scripts/build-console.js --force  build anyway
// scripts/build.js calls buildConsoleIfStale() after compiling, and on every start, production included:
// unlike the explorer, the console is served in production (ADMIN_CONSOLE).
const { buildPageIfStale } = require('./vite-bundle');

const buildConsoleIfStale = ({ force = false } = {}) =>
  buildPageIfStale({
    name: 'console',
    title: 'admin console',
    packages: ['chart.js', 'graphql-ws', 'vite'],
    done: 'open /admin/ on the server.',
    force,
  });

module.exports = { buildConsoleIfStale };

if (require.main === module) buildConsoleIfStale({ force: process.argv.includes('--force') });
