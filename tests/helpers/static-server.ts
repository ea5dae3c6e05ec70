import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { CONTENT_TYPES } from '../../src/http/static-files';

export interface StaticServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash): what a browser sends as Origin. */
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves a folder's files as they are on an ephemeral loopback port: enough to host a built web app in a
 * test. Files are read on each request, so they may be written after the server starts.
 */
export async function startStaticServer(folder: string): Promise<StaticServer> {
  const root = resolve(folder);
  const server = createServer(async (request, response) => {
    const file = await fileFor(root, request.url ?? '/');
    if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(file ? 405 : 404).end();
      return;
    }
    // no-store: a reload must fetch config.json and index.html again, as a browser would after a deploy.
    response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        // Browsers keep connections alive; without this close() would wait for them.
        server.closeAllConnections();
      }),
  };
}

/**
 * The file a URL names inside root ("/" → index.html), or undefined: no such file, or outside root. A path
 * with no extension that names no file is one of the app's own pages (the links Gatehouse mails, such as
 * /reset-password): index.html answers it, as Vite's dev server and any single-page-app host do.
 */
async function fileFor(root: string, url: string): Promise<string | undefined> {
  try {
    const pathname = decodeURIComponent(new URL(url, 'http://static').pathname);
    const file = resolve(join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname));
    if (!file.startsWith(root + sep)) return undefined;
    if (await isFile(file)) return file;
    const page = join(root, 'index.html');
    return extname(pathname) === '' && (await isFile(page)) ? page : undefined;
  } catch {
    return undefined;
  }
}

const isFile = (file: string): Promise<boolean> =>
  stat(file).then(
    (found) => found.isFile(),
    () => false,
  );
