import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { StartupError } from '../common/startup-error';

export interface EmbeddedDatabase {
  /** Connection settings for the `pg` driver. */
  host: string;
  port: number;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  maxConnections: number;
  /**
   * When a running Gatehouse already serves this folder, connect to it instead of failing (the CLI uses
   * this to promote a user while the server runs).
   */
  attach?: boolean;
}

// A unix socket path may not exceed 107 bytes on Linux.
const MAX_SOCKET_PATH = 100;
const SOCKET_PORT = 5432;

/**
 * Starts PostgreSQL (PGlite, WebAssembly) in this process with its files in `dataDir`, served over the
 * PostgreSQL wire protocol so the app uses the same `pg` driver and migrations as on a real server.
 * It listens on a unix socket inside the data folder (mode 0700), so no other local user can reach it;
 * a data folder at a path too long for a socket falls back to an ephemeral loopback port.
 */
export async function startEmbeddedDatabase(dataDir: string, { maxConnections, attach = false }: EmbeddedOptions): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const socketPath = join(dataDir, `.s.PGSQL.${SOCKET_PORT}`);
  const useSocket = Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH;
  if (useSocket && (await isListening(socketPath))) {
    if (attach) return { host: dataDir, port: SOCKET_PORT, close: async () => undefined };
    throw new StartupError(`Another Gatehouse process is using the embedded database in ${dataDir}: stop it, or set DATA_DIR to another folder.`);
  }
  // A socket file left by a crashed process.
  if (useSocket) await rm(socketPath, { force: true });

  const db = await PGlite.create({ dataDir: join(dataDir, 'pglite') });
  // One PGlite runs one query at a time; the socket server queues the rest and keeps transactions apart.
  const server = new PGLiteSocketServer(useSocket ? { db, path: socketPath, maxConnections } : { db, host: '127.0.0.1', port: 0, maxConnections });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const [host, port] = useSocket ? [dataDir, SOCKET_PORT] : parseHostPort(server.getServerConn());
  return {
    host,
    port,
    async close() {
      await server.stop();
      await db.close();
      if (useSocket) await rm(socketPath, { force: true });
    },
  };
}

function isListening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function parseHostPort(conn: string): [string, number] {
  const index = conn.lastIndexOf(':');
  return [conn.slice(0, index), Number(conn.slice(index + 1))];
}
