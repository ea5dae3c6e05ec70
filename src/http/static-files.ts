import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

// Serving a folder Vite built (the explorer, the admin console): one safe file lookup, one table of types.

// Compiled, this file is dist/src/http/static-files.js; run from source (tests, ts-node) it is src/http/static-files.ts.
const PROJECT_ROOT = resolve(__dirname, __filename.endsWith('.js') ? '../../..' : '../..');

/** A folder of dist/ that a build script writes (scripts/build-explorer.js, scripts/build-console.js). */
export const buildDir = (name: string): string => join(PROJECT_ROOT, 'dist', name);

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

export interface BuiltPage {
  /** The URL path it is served under, without a trailing slash: `/explorer`. */
  prefix: string;
  /** The folder Vite wrote. */
  folder: string;
  /** The Content-Security-Policy header of every file. */
  csp: string;
  /** The plain-text answer (503) while the folder holds no index.html. */
  notBuilt: string;
}

/**
 * GET <prefix>/ and everything under it, from a folder Vite built: content types, the page's CSP,
 * `nosniff`, and caching by Vite's content-hashed names. Nothing hidden or outside the folder is served.
 */
export function registerBuiltPage(fastify: FastifyInstance, { prefix, folder, csp, notBuilt }: BuiltPage): void {
  const root = resolve(folder);
  const name = prefix.slice(prefix.lastIndexOf('/') + 1);
  // The page's asset URLs are relative, so the page must be addressed as a folder.
  fastify.get(prefix, async (_request, reply) => reply.redirect(`${name}/`));
  fastify.get<{ Params: { '*': string } }>(`${prefix}/*`, async (request, reply) => {
    const file = await fileIn(root, request.params['*'] || 'index.html');
    if (!file) {
      if (!(await fileIn(root, 'index.html'))) return reply.status(503).type('text/plain; charset=utf-8').send(notBuilt);
      return reply.callNotFound();
    }
    return (
      reply
        .header('content-type', CONTENT_TYPES[extname(file.path)] ?? 'application/octet-stream')
        .header('content-length', file.size)
        .header('content-security-policy', csp)
        .header('x-content-type-options', 'nosniff')
        // Vite names every asset by its content hash; the page itself names the current ones.
        .header('cache-control', file.path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable')
        .send(createReadStream(file.path))
    );
  });
}

/** A file inside root, by its path relative to it; undefined when missing, hidden (.name), or outside root. */
export async function fileIn(root: string, relative: string): Promise<{ path: string; size: number } | undefined> {
  const path = resolve(root, relative);
  if (!path.startsWith(root + sep) || relative.split('/').some((part) => part.startsWith('.'))) return undefined;
  try {
    const stats = await stat(path);
    return stats.isFile() ? { path, size: stats.size } : undefined;
  } catch {
    return undefined;
  }
}
