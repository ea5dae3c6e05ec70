import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones, as a network partition would. */
  cut(): void;
  /**
   * Cuts (as `cut`) at the moment the server sends a message containing `text` (e.g. "BEGIN;"), which
   * never reaches the database: the database goes away exactly under that statement. Resolves then.
   */
  cutOn(text: string): Promise<void>;
  restore(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy to a database (host and port, or a unix socket path) that a test can cut. */
export async function startTcpProxy(target: { host: string; port: number } | { path: string }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  let trigger: { text: string; fire: () => void } | undefined;
  const cut = () => {
    open = false;
    for (const socket of sockets) socket.destroy();
  };
  const server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = 'path' in target ? connect(target.path) : connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (trigger && chunk.includes(trigger.text)) {
        const { fire } = trigger;
        trigger = undefined;
        cut();
        fire();
        return;
      }
      if (!upstream.write(chunk)) client.pause();
    });
    client.on('end', () => upstream.end());
    upstream.on('drain', () => client.resume());
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut,
    cutOn: (text) => new Promise<void>((fire) => (trigger = { text, fire })),
    restore() {
      open = true;
    },
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
