'use strict';
// Compiles the TypeScript into dist/ and records a fingerprint of what it compiled, so that `npm start`,
// `npm run dev` and the `gatehouse` CLI compile only when dist/ is missing or the sources changed since.
// `npm run build`, `npm start` and `npm run dev` also bundle the GraphQL explorer (scripts/build-explorer.js)
// when it changed, except on a production start, which does not serve it; and the admin console
// (scripts/build-console.js) when it changed, on every start, since production serves it (ADMIN_CONSOLE).
//   node scripts/build.js             always compile (npm run build)
//   node scripts/build.js --if-stale  compile only when needed
// Plain JavaScript: it runs before anything is compiled.
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const BUILD_CONFIG = 'tsconfig.build.json';
const STAMP = join(root, 'dist', '.build-fingerprint');
/** Folders of dist/ that Vite writes (scripts/vite-bundle.js), not tsc. */
const VITE_BUNDLES = new Set(['explorer', 'console']);

/**
 * Every input of the build by path, size and modification time: an edit, a new or deleted file, a checkout
 * or a dependency change (package-lock.json) changes it. Only stat calls, no reads: a few milliseconds.
 */
function fingerprint() {
  const { include } = JSON.parse(readFileSync(join(root, BUILD_CONFIG), 'utf8'));
  const lines = [];
  const visit = (path) => {
    let stat;
    try {
      stat = statSync(join(root, path));
    } catch {
      lines.push(`${path} missing`);
      return;
    }
    if (!stat.isDirectory()) {
      lines.push(`${path} ${stat.size} ${stat.mtimeMs}`);
      return;
    }
    // Hidden entries (editor swap files, .DS_Store) are not compiled.
    for (const entry of readdirSync(join(root, path)).sort()) if (!entry.startsWith('.')) visit(`${path}/${entry}`);
  };
  for (const path of [...include, BUILD_CONFIG, 'tsconfig.json', 'package-lock.json']) visit(path);
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

function isStale(current) {
  if (!existsSync(join(root, 'dist/src/main.js')) || !existsSync(STAMP)) return true;
  return readFileSync(STAMP, 'utf8').trim() !== current;
}

/**
 * Deletes compiled files this build did not write: a source that was removed or renamed leaves its old
 * output behind, which can shadow its replacement (dist/src/config.js would win over the
 * dist/src/config/index.js of a config.ts that became a folder). The explorer and console bundles are not tsc's.
 */
function removeStale(emitted) {
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (/\.(js|js\.map|d\.ts)$/.test(entry.name) && !emitted.has(path)) rmSync(path);
    }
  };
  for (const entry of existsSync(join(root, 'dist')) ? readdirSync(join(root, 'dist'), { withFileTypes: true }) : []) {
    if (entry.isDirectory() && !VITE_BUNDLES.has(entry.name)) visit(join(root, 'dist', entry.name));
  }
}

/** Compiles; tsc's output goes to stderr so a CLI command's own output stays clean. Exits on failure. */
function build(current) {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  } catch {
    console.error(
      'dist/ is missing or older than the sources, and TypeScript (a dev dependency) is not installed: run `npm ci`, or `npm run build` where it is.',
    );
    process.exit(1);
  }
  const { status, stdout } = spawnSync(process.execPath, [tsc, '-p', BUILD_CONFIG, '--listEmittedFiles'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 2],
    encoding: 'utf8',
  });
  const emitted = new Set();
  for (const line of stdout.split('\n')) {
    if (line.startsWith('TSFILE: ')) emitted.add(line.slice('TSFILE: '.length).trim());
    else if (line.trim()) console.error(line);
  }
  if (status !== 0) process.exit(status ?? 1);
  removeStale(emitted);
  mkdirSync(join(root, 'dist'), { recursive: true });
  // The fingerprint taken before compiling: an edit made meanwhile makes the next run compile again.
  writeFileSync(STAMP, `${current}\n`);
}

/** Compiles when dist/ is missing or older than the sources; returns whether it did. */
function buildIfStale() {
  const current = fingerprint();
  if (!isStale(current)) return false;
  console.error('Compiling Gatehouse (dist/ is missing or older than the sources)...');
  build(current);
  return true;
}

module.exports = { buildIfStale, fingerprint };

if (require.main === module) {
  if (process.argv.includes('--if-stale')) buildIfStale();
  else build(fingerprint());
  if (process.env.NODE_ENV !== 'production' || !process.argv.includes('--if-stale')) require('./build-explorer').buildExplorerIfStale();
  // The console is served in production too; a start with ADMIN_CONSOLE=false does not need it.
  if (process.env.ADMIN_CONSOLE !== 'false' || !process.argv.includes('--if-stale')) require('./build-console').buildConsoleIfStale();
}
