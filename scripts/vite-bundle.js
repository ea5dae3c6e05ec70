'use strict';
// Bundles a top-level page folder (explorer/, console/) into dist/<name> with Vite, unless the bundle there was
// built from the same sources and packages, so that builds and starts stay fast after the first time.
// Used by scripts/build-explorer.js and scripts/build-console.js. Plain JavaScript, like build.js: it runs
// before anything is compiled.
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
// Hidden, so the server does not serve it (src/http/static-files.ts).
const STAMP = '.source-hash';

/** Every file under the source folder, and the installed version of each package the bundle is made of. */
function sourceHash(source, packages) {
  const hash = createHash('sha256');
  const files = readdirSync(source, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
  for (const name of packages) {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
    hash.update(`${name}@${version}\0`);
  }
  return hash.digest('hex');
}

/**
 * Builds `<name>/` into `dist/<name>` when needed; returns whether it did. Without the dev dependencies
 * (`npm ci --omit=dev`, a production image) there is nothing to build with: it says so, and the server's
 * page explains. `title` names the page in messages, `done` is printed after a build.
 */
function buildPageIfStale({ name, title, packages, done, force = false }) {
  const source = join(ROOT, name);
  const out = join(ROOT, 'dist', name);
  if (!existsSync(join(ROOT, 'node_modules/vite/bin/vite.js')) || !packages.every((p) => existsSync(join(ROOT, 'node_modules', p)))) {
    console.error(`Skipping the ${title}: its build tools (dev dependencies) are not installed.`);
    return false;
  }
  const wanted = sourceHash(source, packages);
  const built = existsSync(join(out, 'index.html')) && existsSync(join(out, STAMP)) ? readFileSync(join(out, STAMP), 'utf8') : undefined;
  if (built === wanted && !force) return false;

  const started = Date.now();
  console.error(`Building the ${title} into dist/${name}...`);
  // Built beside it, then swapped in: a running server never serves a half-written build, and two builds at
  // once (two test files, two terminals) do not write into each other's.
  const next = `${out}.${process.pid}`;
  try {
    const vite = join(ROOT, 'node_modules/vite/bin/vite.js');
    execFileSync(process.execPath, [vite, 'build', source, '--outDir', next, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: ROOT,
      stdio: ['ignore', 2, 2],
    });
    writeFileSync(join(next, STAMP), wanted);
    rmSync(out, { recursive: true, force: true });
    renameSync(next, out);
  } catch (error) {
    // Another build swapped its own in between our two steps: it is built from the same sources.
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
  console.error(`Built the ${title} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${done}`);
  return true;
}

module.exports = { buildPageIfStale };
