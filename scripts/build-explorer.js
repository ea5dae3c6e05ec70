'use strict';
// Bundles explorer/ (GraphiQL) into dist/explorer with Vite, unless the bundle there was built from the
// same sources and packages (scripts/vite-bundle.js).
//   node scripts/build-explorer.js          build when explorer/ or its packages changed (npm run explorer:build)
//   node scripts/build-explorer.js --force  build anyway
// scripts/build.js calls buildExplorerIfStale() after compiling, and on every start outside production.
const { buildPageIfStale } = require('./vite-bundle');

const buildExplorerIfStale = ({ force = false } = {}) =>
  buildPageIfStale({
    name: 'explorer',
    title: 'GraphQL explorer (GraphiQL)',
    packages: ['graphiql', '@graphiql/react', 'react', 'react-dom', 'vite'],
    done: 'open /explorer/ on a development server.',
    force,
  });

module.exports = { buildExplorerIfStale };

if (require.main === module) buildExplorerIfStale({ force: process.argv.includes('--force') });
