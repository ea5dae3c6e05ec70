import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { WebSocket } from 'ws';
import { Role } from '../../src/users/role';
import { User } from '../../src/users/user.entity';
import { factories } from '../helpers/factories';
import { liveUrl, RawLiveSocket } from '../helpers/live-socket';
import { startTestServer, type TestServer } from '../helpers/test-server';

// The live channel's bounds, each configured low so that a test reaches it; and a token's expiry.

const METRICS_TOKEN = randomBytes(24).toString('base64url');
let server: TestServer;
const { em, signUp } = factories(() => server);

beforeAll(async () => {
  server = await startTestServer({
    LIVE_MAX_CONNECTIONS_PER_USER: '2',
    LIVE_MAX_CONNECTIONS_PER_IP: '6',
    LIVE_MAX_SUBSCRIPTIONS: '2',
    LIVE_MAX_MESSAGE_BYTES: '1024',
    LIVE_PING_INTERVAL: '1s',
    LIVE_PONG_TIMEOUT: '1s',
    LIVE_MAX_QUEUED_EVENTS: '5',
    LIVE_MAX_BUFFERED_BYTES: '65536',
    ACCESS_TOKEN_TTL: '10s',
    METRICS_TOKEN,
  });
});
afterAll(() => server?.close());

const metric = async (line: RegExp): Promise<number> => {
  const text = await (await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const found = text.split('\n').find((row) => line.test(row));
  return found ? Number(found.split(' ').at(-1)) : 0;
};
const SESSION_EVENTS = 'subscription { sessionEvents { type } }';
const openSockets = () => server.gatehouse.live.registry.all.size;

async function noSocketsLeft(): Promise<void> {
  while (openSockets() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
}

afterEach(async () => {
  for (const connection of server.gatehouse.live.registry.all) connection.socket.terminate();
  await noSocketsLeft();
});

it('refuses a user past LIVE_MAX_CONNECTIONS_PER_USER with 4429, and counts open sockets in /metrics', async () => {
  const user = await signUp('live-per-user');
  const sockets = [await RawLiveSocket.signIn(server.baseUrl, user.token), await RawLiveSocket.signIn(server.baseUrl, user.token)];
  expect(await metric(/^gatehouse_live_sockets\{state="signed_in"\}/)).toBe(2);
  const third = await RawLiveSocket.open(server.baseUrl);
  third.send({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } });
  expect(await third.closed).toEqual({ code: 4429, reason: 'too many connections for this user' });
  sockets[0].close();
  await sockets[0].closed;
  await RawLiveSocket.signIn(server.baseUrl, user.token);
});

it('refuses a client IP past LIVE_MAX_CONNECTIONS_PER_IP with 4429', async () => {
  const sockets = await Promise.all(Array.from({ length: 6 }, () => RawLiveSocket.open(server.baseUrl)));
  const seventh = await RawLiveSocket.open(server.baseUrl);
  expect(await seventh.closed).toEqual({ code: 4429, reason: 'too many connections from this address' });
  for (const socket of sockets) socket.close();
});

it('answers TOO_MANY_SUBSCRIPTIONS past LIVE_MAX_SUBSCRIPTIONS, and takes one again once one completes', async () => {
  const user = await signUp('live-subs');
  const socket = await RawLiveSocket.signIn(server.baseUrl, user.token);
  for (const id of ['1', '2', '3']) socket.subscribe(id, SESSION_EVENTS);
  await socket.until((messages) => messages.some((m) => m.id === '3'));
  expect(socket.messages.filter((m) => m.id === '3')).toEqual([
    { id: '3', type: 'error', payload: [expect.objectContaining({ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })] },
  ]);
  socket.send({ id: '1', type: 'complete' });
  socket.subscribe('4', SESSION_EVENTS);
  socket.send({ id: '5', type: 'subscribe', payload: { query: SESSION_EVENTS } });
  await socket.until((messages) => messages.some((m) => m.id === '5'));
  expect(socket.messages.filter((m) => m.id === '4')).toEqual([]);
  expect(socket.messages.find((m) => m.id === '5')).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }] });
});

it('closes a socket that sends a message over LIVE_MAX_MESSAGE_BYTES with 1009', async () => {
  const user = await signUp('live-big');
  const socket = await RawLiveSocket.signIn(server.baseUrl, user.token);
  socket.subscribe('big', `subscription { sessionEvents { type } } # ${'x'.repeat(2048)}`);
  expect((await socket.closed).code).toBe(1009);
});

it('drops a socket that does not answer pings within LIVE_PONG_TIMEOUT', async () => {
  const user = await signUp('live-pong');
  const before = await metric(/^gatehouse_live_sockets_closed_total\{reason="PONG_TIMEOUT"\}/);
  const ws = new WebSocket(liveUrl(server.baseUrl), 'graphql-transport-ws', { autoPong: false });
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } }));
  const pinged = new Promise((resolve) => ws.once('ping', resolve));
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  await pinged;
  expect(await closed).toBe(1006);
  expect(await metric(/^gatehouse_live_sockets_closed_total\{reason="PONG_TIMEOUT"\}/)).toBe(before + 1);
  // A client that answers (ws does by default) stays.
  const answering = await RawLiveSocket.signIn(server.baseUrl, user.token);
  await new Promise((resolve) => answering.ws.once('ping', resolve));
  await new Promise((resolve) => answering.ws.once('ping', resolve));
  expect(answering.ws.readyState).toBe(WebSocket.OPEN);
});

it('closes a socket at its token expiry (SESSION_REVOKED: TOKEN_EXPIRED, then 4401), unless renewed before', async () => {
  const user = await signUp('live-expiry');
  const socket = await RawLiveSocket.signIn(server.baseUrl, user.token);
  socket.subscribe('s', 'subscription { sessionEvents { type current reason } }');
  // A token minted later expires later: renew with it.
  const firstExpiry = (jwt.decode(user.token) as { exp: number }).exp * 1000;
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const { refresh } = await server.sdk().Refresh({ refreshToken: user.refreshToken! });
  socket.send({
    id: 'r',
    type: 'subscribe',
    payload: { query: 'mutation ($t: String!) { renewLiveToken(accessToken: $t) }', variables: { t: refresh.accessToken } },
  });
  await socket.until((messages) => messages.some((m) => m.id === 'r' && m.type === 'complete'));
  const renewedExpiry = Date.parse((socket.data('r')[0] as { data: { renewLiveToken: string } }).data.renewLiveToken);
  expect(renewedExpiry).toBeGreaterThan(firstExpiry);
  // Past the first token's expiry the socket is still open ...
  while (Date.now() <= firstExpiry + 100) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(socket.ws.readyState).toBe(WebSocket.OPEN);
  // ... and it closes at the renewed token's.
  expect(await socket.closed).toEqual({ code: 4401, reason: 'token expired' });
  expect(socket.data('s').at(-1)).toEqual({ data: { sessionEvents: { type: 'SESSION_REVOKED', current: true, reason: 'TOKEN_EXPIRED' } } });
});

it('drops a client that never reads (1013) without holding more than LIVE_MAX_BUFFERED_BYTES for it', async () => {
  // Its own server: on this file's, the unread pings would drop it first (LIVE_PING_INTERVAL 1s).
  // Each event goes out once per subscription: 200 of them fill the kernel's buffers within a few events.
  const quiet = await startTestServer({
    LIVE_MAX_SUBSCRIPTIONS: '200',
    LIVE_MAX_QUEUED_EVENTS: '5',
    LIVE_MAX_BUFFERED_BYTES: '65536',
    METRICS_TOKEN,
    // Each failed login from its own address (X-Forwarded-For): its own event, not a repeat of the last
    // one (repeats within a window are counted on one row, and so push far fewer messages).
    TRUST_PROXY: '1',
  });
  const previous = server;
  server = quiet;
  try {
    await slowClientIsDropped();
  } finally {
    server = previous;
    await quiet.close();
  }
});

async function slowClientIsDropped(): Promise<void> {
  const admin = await signUp('live-slow');
  await em().nativeUpdate(User, { id: admin.id }, { role: Role.ADMIN });
  const before = await metric(/^gatehouse_live_sockets_closed_total\{reason="SLOW_CLIENT"\}/);
  const socket = await RawLiveSocket.signIn(server.baseUrl, admin.token);
  for (let id = 0; id < 200; id++) {
    socket.subscribe(`e${id}`, 'subscription { securityEvents(type: LOGIN_FAILED) { id type ip userAgent details count createdAt lastSeenAt } }');
  }
  const [connection] = server.gatehouse.live.registry.ofUser(admin.id);
  // From here on the client reads nothing: the kernel's buffers fill, then the server's.
  (socket.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  let maxBuffered = 0;
  const userAgent = `slow-reader ${'x'.repeat(480)}`;
  for (let round = 0; round < 200 && server.gatehouse.live.registry.all.has(connection); round++) {
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        fetch(server.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': userAgent, 'x-forwarded-for': `10.0.${round}.${i + 1}` },
          body: JSON.stringify({
            query: 'mutation ($input: LoginInput!) { login(input: $input) { ... on AuthPayload { accessToken } } }',
            variables: { input: { email: `nobody-${randomBytes(6).toString('hex')}@example.com`, password: 'wrong password!' } },
          }),
        }),
      ),
    );
    maxBuffered = Math.max(maxBuffered, connection.socket.bufferedAmount);
  }
  expect(server.gatehouse.live.registry.all.has(connection)).toBe(false);
  expect(await metric(/^gatehouse_live_sockets_closed_total\{reason="SLOW_CLIENT"\}/)).toBe(before + 1);
  // One message past the bound at most: the one whose send found the buffer full.
  expect(maxBuffered).toBeLessThan(65_536 + 4_096);
  // Our end reads nothing, so it would never see the server's close: let it go.
  socket.ws.terminate();
}
