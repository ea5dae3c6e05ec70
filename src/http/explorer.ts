import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

// Compiled, this file is dist/src/http/explorer.js; run from source (tests, ts-node) it is src/http/explorer.ts.
const PROJECT_ROOT = resolve(__dirname, __filename.endsWith('.js') ? '../../..' : '../..');
/** Where `npm run explorer:build` writes GraphiQL (explorer/ bundled by Vite). */
export const EXPLORER_BUILD_DIR = join(PROJECT_ROOT, 'dist/explorer');

const NOT_BUILT =
  'The GraphQL explorer is not built yet: run `npm run explorer:build` (`npm run build` runs it too), then reload.\n' +
  'Apollo Sandbox, at /graphql, needs no build but loads from the internet.\n';

/** The content type of each kind of file a built web page is made of. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/**
 * Everything from this server, nothing from anywhere else. Monaco (GraphiQL's editor) adds <style>
 * elements as it runs, runs its language services in workers that are files of the page, and inlines
 * its fonts and icons (data:).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * GET /explorer/: GraphiQL, served from this server's own files so that it works offline, with a form that
 * logs in and puts the access token in its request headers. Registered outside production only.
 */
export function registerExplorer(fastify: FastifyInstance, folder = EXPLORER_BUILD_DIR): void {
  const root = resolve(folder);
  // The page's asset URLs are relative, so the page must be addressed as a folder.
  fastify.get('/explorer', async (_request, reply) => reply.redirect('explorer/'));
  fastify.get<{ Params: { '*': string } }>('/explorer/*', async (request, reply) => {
    const file = await fileIn(root, request.params['*'] || 'index.html');
    if (!file) {
      if (!(await fileIn(root, 'index.html'))) return reply.status(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
      return reply.callNotFound();
    }
    return (
      reply
        .header('content-type', CONTENT_TYPES[extname(file.path)] ?? 'application/octet-stream')
        .header('content-length', file.size)
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        // Vite names every asset by its content hash; the page itself names the current ones.
        .header('cache-control', file.path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable')
        .send(createReadStream(file.path))
    );
  });
}

/** A file inside root, by its path relative to it; undefined when missing, hidden (.name), or outside root. */
async function fileIn(root: string, relative: string): Promise<{ path: string; size: number } | undefined> {
  const path = resolve(root, relative);
  if (!path.startsWith(root + sep) || relative.split('/').some((part) => part.startsWith('.'))) return undefined;
  try {
    const stats = await stat(path);
    return stats.isFile() ? { path, size: stats.size } : undefined;
  } catch {
    return undefined;
  }
}
