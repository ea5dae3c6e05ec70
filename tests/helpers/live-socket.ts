import { WebSocket } from 'ws';
import { createLiveClient } from '../../client/live';

/** The live channel's URL for a server's base URL (http://host:port). */
export const liveUrl = (baseUrl: string): string => `${baseUrl.replace(/^http/, 'ws')}/graphql`;

export interface Closed {
  code: number;
  reason: string;
}

interface Message {
  id?: string;
  type: string;
  payload?: unknown;
}

/**
 * A raw graphql-ws socket, for what a test must see byte for byte: the close code, the order of
 * messages, a client that never sends connection_init.
 */
export class RawLiveSocket {
  readonly messages: Message[] = [];
  readonly closed: Promise<Closed>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as Message);
      for (const waiter of this.waiters.splice(0)) waiter();
    });
    ws.on('close', () => {
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  static open(baseUrl: string, headers: Record<string, string> = {}): Promise<RawLiveSocket> {
    const ws = new WebSocket(liveUrl(baseUrl), 'graphql-transport-ws', { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawLiveSocket(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    });
  }

  /** Opens, sends connection_init with `token` (or `payload`), and waits for the ack or the close. */
  static async signIn(baseUrl: string, token: string | undefined, payload?: Record<string, unknown>): Promise<RawLiveSocket> {
    const socket = await RawLiveSocket.open(baseUrl);
    socket.send({ type: 'connection_init', payload: payload ?? (token ? { authorization: `Bearer ${token}` } : {}) });
    await socket.until((messages) => messages.some((m) => m.type === 'connection_ack'));
    return socket;
  }

  /**
   * Signed in, with `query` running as subscription "s", once the subscription is known to run: the server
   * answers a renewal (id "r") only after handling the subscribe sent before it.
   */
  static async watching(baseUrl: string, token: string, query: string): Promise<RawLiveSocket> {
    const socket = await RawLiveSocket.signIn(baseUrl, token);
    socket.subscribe('s', query);
    socket.send({
      id: 'r',
      type: 'subscribe',
      payload: { query: 'mutation ($t: String!) { renewLiveToken(accessToken: $t) }', variables: { t: token } },
    });
    await socket.until((messages) => messages.some((m) => m.id === 'r' && m.type === 'complete'));
    return socket;
  }

  send(message: Message): void {
    this.ws.send(JSON.stringify(message));
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.send({ id, type: 'subscribe', payload: { query, variables } });
  }

  /** Waits until `done(messages)` holds, or the socket closes. */
  async until(done: (messages: Message[]) => boolean): Promise<Message[]> {
    while (!done(this.messages) && this.ws.readyState !== WebSocket.CLOSED) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.messages;
  }

  /** The payloads of `next` messages for subscription `id`. */
  data(id: string): unknown[] {
    return this.messages.filter((m) => m.id === id && m.type === 'next').map((m) => m.payload);
  }

  close(): void {
    this.ws.close();
  }
}

/** The SDK's live client against a server, signed in with `token`. */
export const sdkLive = (baseUrl: string, token: () => string | undefined, onClosed?: (code: number, reason: string) => void) =>
  createLiveClient({ url: liveUrl(baseUrl), getAccessToken: token, onClosed, webSocketImpl: WebSocket });
