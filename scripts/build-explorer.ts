import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// `npm run explorer:build`: bundles explorer/ (GraphiQL) into dist/explorer with Vite, unless the bundle
// there was built from the same sources and packages, so that `npm run build` stays fast after the first
// time. --force builds anyway.

const ROOT = join(__dirname, '..');
const SOURCE = join(ROOT, 'explorer');
const OUT = join(ROOT, 'dist/explorer');
// Hidden, so the server does not serve it (src/http/explorer.ts).
const STAMP = '.source-hash';
const PACKAGES = ['graphiql', '@graphiql/react', 'react', 'react-dom', 'vite'];

/** Every file under explorer/, and the installed version of each package the bundle is made of. */
function sourceHash(): string {
  const hash = createHash('sha256');
  const files = readdirSync(SOURCE, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
  for (const name of PACKAGES) {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
    hash.update(`${name}@${version}\0`);
  }
  return hash.digest('hex');
}

const wanted = sourceHash();
const built = existsSync(join(OUT, 'index.html')) && existsSync(join(OUT, STAMP)) ? readFileSync(join(OUT, STAMP), 'utf8') : undefined;
if (built === wanted && !process.argv.includes('--force')) process.exit(0);

const started = Date.now();
console.log('Building the GraphQL explorer (GraphiQL) into dist/explorer...');
// Built beside it, then swapped in: a running server never serves a half-written build, and two builds at
// once (two test files, two terminals) do not write into each other's.
const next = `${OUT}.${process.pid}`;
try {
  const vite = join(ROOT, 'node_modules/vite/bin/vite.js');
  execFileSync(process.execPath, [vite, 'build', SOURCE, '--outDir', next, '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  writeFileSync(join(next, STAMP), wanted);
  rmSync(OUT, { recursive: true, force: true });
  renameSync(next, OUT);
} catch (error) {
  // Another build swapped its own in between our two steps: it is built from the same sources.
  if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
} finally {
  rmSync(next, { recursive: true, force: true });
}
console.log(`Built the explorer in ${((Date.now() - started) / 1000).toFixed(1)} s: open /explorer/ on a development server.`);
