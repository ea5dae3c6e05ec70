import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP receiver for alert webhooks; `respond` decides each answer (default 204). */
export async function startWebhookReceiver(respond: (attempt: number, res: ServerResponse) => void = (_n, res) => res.writeHead(204).end()) {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(received.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    /** Waits (bounded) until `count` requests have arrived. */
    async waitFor(count: number, timeoutMs = 15_000): Promise<ReceivedRequest[]> {
      for (const start = Date.now(); received.length < count && Date.now() - start < timeoutMs;) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
