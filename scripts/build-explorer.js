'use strict';
// Bundles explorer/ (GraphiQL) into dist/explorer with Vite, unless the bundle there was built from the
// same sources and packages, so that builds and starts stay fast after the first time.
//   node scripts/build-explorer.js          build when explorer/ or its packages changed (npm run explorer:build)
//   node scripts/build-explorer.js --force  build anyway
// scripts/build.js calls buildExplorerIfStale() after compiling, and on every start outside production.
// Plain JavaScript, like build.js: it runs before anything is compiled.
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const SOURCE = join(ROOT, 'explorer');
const OUT = join(ROOT, 'dist/explorer');
// Hidden, so the server does not serve it (src/http/explorer.ts).
const STAMP = '.source-hash';
const PACKAGES = ['graphiql', '@graphiql/react', 'react', 'react-dom', 'vite'];

/** Every file under explorer/, and the installed version of each package the bundle is made of. */
function sourceHash() {
  const hash = createHash('sha256');
  const files = readdirSync(SOURCE, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
  for (const name of PACKAGES) {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
    hash.update(`${name}@${version}\0`);
  }
  return hash.digest('hex');
}

/**
 * Builds when needed; returns whether it did. Without the dev dependencies (`npm ci --omit=dev`, a
 * production image) there is nothing to build with: it says so and the server's /explorer/ explains.
 */
function buildExplorerIfStale({ force = false } = {}) {
  if (!existsSync(join(ROOT, 'node_modules/vite/bin/vite.js')) || !existsSync(join(ROOT, 'node_modules/graphiql'))) {
    console.error('Skipping the GraphQL explorer: its build tools (dev dependencies) are not installed.');
    return false;
  }
  const wanted = sourceHash();
  const built = existsSync(join(OUT, 'index.html')) && existsSync(join(OUT, STAMP)) ? readFileSync(join(OUT, STAMP), 'utf8') : undefined;
  if (built === wanted && !force) return false;

  const started = Date.now();
  console.error('Building the GraphQL explorer (GraphiQL) into dist/explorer...');
  // Built beside it, then swapped in: a running server never serves a half-written build, and two builds at
  // once (two test files, two terminals) do not write into each other's.
  const next = `${OUT}.${process.pid}`;
  try {
    const vite = join(ROOT, 'node_modules/vite/bin/vite.js');
    execFileSync(process.execPath, [vite, 'build', SOURCE, '--outDir', next, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: ROOT,
      stdio: ['ignore', 2, 2],
    });
    writeFileSync(join(next, STAMP), wanted);
    rmSync(OUT, { recursive: true, force: true });
    renameSync(next, OUT);
  } catch (error) {
    // Another build swapped its own in between our two steps: it is built from the same sources.
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
  console.error(`Built the explorer in ${((Date.now() - started) / 1000).toFixed(1)} s: open /explorer/ on a development server.`);
  return true;
}

module.exports = { buildExplorerIfStale };

if (require.main === module) buildExplorerIfStale({ force: process.argv.includes('--force') });
