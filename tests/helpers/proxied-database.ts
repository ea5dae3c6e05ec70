import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDatabase } from '../../src/db/embedded';
import { createTestDatabase } from './test-database';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

export interface ProxiedDatabase {
  proxy: TcpProxy;
  /** DATABASE_URL through the proxy. */
  url: string;
  close(): Promise<void>;
}

/**
 * A fresh database behind a TCP proxy a test can cut: a new PostgreSQL database on DATABASE_URL's server,
 * or, without it, an embedded database of its own (served on a unix socket, proxied to TCP).
 */
export async function startProxiedDatabase(): Promise<ProxiedDatabase> {
  const cleanups: (() => Promise<void>)[] = [];
  let proxy: TcpProxy;
  let url: URL;
  if (process.env.DATABASE_URL) {
    const database = await createTestDatabase();
    cleanups.push(database.drop);
    url = new URL(database.env.DATABASE_URL!);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'gh-proxied-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const embedded = await startEmbeddedDatabase(dir, { maxConnections: 40 });
    cleanups.push(() => embedded.close());
    proxy = await startTcpProxy({ path: join(embedded.host, `.s.PGSQL.${embedded.port}`) });
    url = new URL('postgresql://postgres@127.0.0.1/postgres');
  }
  url.host = `127.0.0.1:${proxy.port}`;
  return {
    proxy,
    url: url.toString(),
    async close() {
      await proxy.close();
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}
