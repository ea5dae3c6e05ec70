// The live channel's part of `npm run bench`: N idle authenticated sockets (sessionEvents running on each),
// the server heap they hold, and the time from a logout(scope: ALL) response to the close of each of that
// user's sockets, with 1 and with 3 instances on one database (sockets spread over them, logout through the first).
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { startServer, stopServer, type Server } from './server';
import { PASSWORD, settings } from './settings';

const SOCKETS_PER_USER = 20; // LIVE_MAX_CONNECTIONS_PER_USER's default
const OPEN_IN_PARALLEL = 200;
const SETTLE_MS = 3_000;

export interface LiveResult {
  instances: number;
  sockets: number;
  /** Heap per idle socket on the one instance (undefined with 3). */
  heapPerSocketBytes: number | undefined;
  /** Close after logout(scope: ALL) answered, ms, over every socket of the users logged out (0: before the answer). */
  p50: number;
  p99: number;
  max: number;
  /** The same from when the logout was sent. */
  sentP50: number;
  sentP99: number;
  samples: number;
}

interface LiveUser {
  token: string;
  sockets: { closed: Promise<number> }[];
}

const serverEnv = (sockets: number, inspectPort?: number) => ({
  MAX_CONNECTIONS: String(sockets + 1_000),
  LIVE_MAX_CONNECTIONS_PER_IP: String(sockets + 1_000),
  // The one instance whose heap is measured: the inspector collects its garbage before each reading.
  ...(inspectPort ? { NODE_OPTIONS: `${settings.serverNodeOptions} --inspect=127.0.0.1:${inspectPort}` } : {}),
});

export async function liveBench(databaseUrl: string, instances: 1 | 3): Promise<LiveResult> {
  const count = settings.liveSockets;
  const servers: Server[] = [];
  try {
    const inspectPort = instances === 1 ? settings.port + 20 : undefined;
    for (let i = 0; i < instances; i++) servers.push(await startServer(databaseUrl, 1, settings.port + 10 + i, serverEnv(count, inspectPort)));
    const heapUsed = () => liveHeapBytes(inspectPort!);
    const users = await register(servers[0], Math.ceil(count / SOCKETS_PER_USER));
    await settle();
    const heapBefore = instances === 1 ? await heapUsed() : 0;
    let opened = 0;
    const pending: (() => Promise<void>)[] = [];
    for (const user of users) {
      for (let i = 0; i < SOCKETS_PER_USER && opened < count; i++, opened++) {
        const server = servers[opened % servers.length];
        pending.push(async () => void user.sockets.push(await openSocket(server, user.token)));
      }
    }
    for (let i = 0; i < pending.length; i += OPEN_IN_PARALLEL) await Promise.all(pending.slice(i, i + OPEN_IN_PARALLEL).map((open) => open()));
    await settle();
    const heapPerSocketBytes = instances === 1 ? ((await heapUsed()) - heapBefore) / count : undefined;
    console.log(
      `live: ${count} sockets open on ${instances} instance(s)` +
        (heapPerSocketBytes ? `, ${(heapPerSocketBytes / 1024).toFixed(1)} KB of heap each` : ''),
    );

    // One user at a time, each with SOCKETS_PER_USER sockets, while every other socket stays open.
    const delays: number[] = [];
    const fromSent: number[] = [];
    for (const user of users.slice(0, settings.liveLogouts)) {
      const closedAt = user.sockets.map((socket) => socket.closed);
      const sent = performance.now();
      const answered = await logoutAll(servers[0], user.token);
      for (const at of await Promise.all(closedAt)) {
        delays.push(Math.max(0, at - answered));
        fromSent.push(at - sent);
      }
    }
    const pick = (list: number[], q: number) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(q * list.length))];
    return {
      instances,
      sockets: count,
      heapPerSocketBytes,
      p50: pick(delays, 0.5),
      p99: pick(delays, 0.99),
      max: Math.max(...delays),
      sentP50: pick(fromSent, 0.5),
      sentP99: pick(fromSent, 0.99),
      samples: delays.length,
    };
  } finally {
    for (const server of servers) await stopServer(server);
  }
}

/** The server's V8 heap in use after a full garbage collection, through its inspector (Chrome DevTools Protocol). */
async function liveHeapBytes(inspectPort: number): Promise<number> {
  const [target] = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const call = (id: number, method: string) =>
    new Promise<Record<string, number>>((resolve) => {
      const onMessage = (data: unknown) => {
        const message = JSON.parse(String(data)) as { id?: number; result: Record<string, number> };
        if (message.id !== id) return;
        ws.off('message', onMessage);
        resolve(message.result);
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method }));
    });
  try {
    await call(1, 'HeapProfiler.collectGarbage');
    return (await call(2, 'Runtime.getHeapUsage')).usedSize;
  } finally {
    ws.close();
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

async function register(server: Server, count: number): Promise<LiveUser[]> {
  const users: LiveUser[] = [];
  for (let i = 0; i < count; i++) {
    const email = `live-${i}-${randomBytes(3).toString('hex')}@example.com`;
    const body = await graphql(server, 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken } }', {
      input: { email, password: PASSWORD },
    });
    users.push({ token: (body.data as { register: { accessToken: string } }).register.accessToken, sockets: [] });
  }
  return users;
}

/** Resolves with the time it was answered. */
async function logoutAll(server: Server, token: string): Promise<number> {
  const body = await graphql(server, 'mutation { logout(scope: ALL) }', {}, token);
  if (body.errors) throw new Error(`logout failed: ${JSON.stringify(body.errors)}`);
  return performance.now();
}

async function graphql(server: Server, query: string, variables: object, token?: string): Promise<{ data?: unknown; errors?: unknown }> {
  const response = await fetch(`${server.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: unknown; errors?: unknown };
}

/** A signed-in socket with sessionEvents running; `closed` resolves with when it closed (performance.now()). */
function openSocket(server: Server, token: string): Promise<{ closed: Promise<number> }> {
  const ws = new WebSocket(`${server.baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { perMessageDeflate: false });
  const closed = new Promise<number>((resolve) => ws.once('close', () => resolve(performance.now())));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type !== 'connection_ack') return;
      ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { sessionEvents { type current } }' } }));
      resolve({ closed });
    });
    void closed.then(() => reject(new Error('closed before connection_ack')));
  });
}

export function liveReport(results: LiveResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.instances} | ${r.sockets.toLocaleString('en')} | ${r.heapPerSocketBytes === undefined ? '' : `${(r.heapPerSocketBytes / 1024).toFixed(1)} KB`} | ${r.p50.toFixed(0)} ms | ${r.p99.toFixed(0)} ms | ${r.max.toFixed(0)} ms | ${r.sentP50.toFixed(0)} / ${r.sentP99.toFixed(0)} ms | ${r.samples} |`,
  );
  return [
    '| instances | idle sockets | heap per socket | close after the logout ALL response, p50 | p99 | max | from the request, p50 / p99 | sockets closed |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
