import { connect } from 'node:net';
import { factories, signUp as signUpOn } from '../helpers/factories';
import { RawLiveSocket } from '../helpers/live-socket';
import { startTestServer, type TestServer } from '../helpers/test-server';

// The live channel's door: connection_init with a valid access token, or a 4401 close before any
// subscription runs; silence past LIVE_INIT_TIMEOUT is closed with 4408.

let server: TestServer;
const { signUp } = factories(() => server);

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const SESSION_EVENTS = 'subscription { sessionEvents { type sessionId current reason } }';

describe('connection_init', () => {
  it('accepts a valid access token and runs a subscription', async () => {
    const user = await signUp('live-ok');
    const socket = await RawLiveSocket.signIn(server.baseUrl, user.token);
    expect(socket.messages).toEqual([{ type: 'connection_ack' }]);
    socket.close();
  });

  it.each([
    ['no token', {}, 'Authentication required: send { "authorization": "Bearer <token>" } as the connection_init payload.'],
    ['a malformed header', { authorization: 'Basic abc' }, 'The access token is invalid.'],
    ['a token that does not verify', { authorization: 'Bearer abc.def.ghi' }, 'The access token is invalid.'],
  ])('refuses %s with 4401 before any subscription', async (_name, payload, reason) => {
    const socket = await RawLiveSocket.open(server.baseUrl);
    socket.send({ type: 'connection_init', payload });
    const closed = await socket.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toContain(reason);
    expect(socket.messages).toEqual([]);
  });

  it('refuses a revoked token with 4401', async () => {
    const user = await signUp('live-revoked');
    await server.sdk(user.token).Logout({ scope: 'CURRENT' });
    const socket = await RawLiveSocket.open(server.baseUrl);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } });
    expect(await socket.closed).toEqual({ code: 4401, reason: 'The access token has been revoked.' });
    expect(socket.messages).toEqual([]);
  });

  it('closes a socket that sends no connection_init within 3 s with 4408', async () => {
    const socket = await RawLiveSocket.open(server.baseUrl);
    expect((await socket.closed).code).toBe(4408);
  });

  it('refuses a subscribe sent before connection_init (graphql-ws: 4401 Unauthorized)', async () => {
    const socket = await RawLiveSocket.open(server.baseUrl);
    socket.subscribe('1', SESSION_EVENTS);
    expect((await socket.closed).code).toBe(4401);
  });
});

describe('over HTTP', () => {
  it('a subscription over POST or GET names the WebSocket endpoint', async () => {
    const query = 'subscription { sessionEvents { type } }';
    const accept = 'application/graphql-response+json';
    const viaPost = await server.post({ query }, { accept });
    const viaGet = await fetch(`${server.graphqlUrl}?${new URLSearchParams({ query })}`, { headers: { accept, 'apollo-require-preflight': 'true' } });
    for (const body of [viaPost.body, (await viaGet.json()) as typeof viaPost.body]) {
      expect(body.errors?.[0]).toMatchObject({
        message: expect.stringContaining('subscribe over WebSocket (ws:// or wss://) at /graphql'),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });
    }
    expect([viaPost.status, viaGet.status]).toEqual([400, 400]);
  });

  it('renewLiveToken over HTTP is a BAD_REQUEST that names the socket', async () => {
    const user = await signUp('live-http');
    const { body } = await server.post(
      { query: 'mutation ($t: String!) { renewLiveToken(accessToken: $t) }', variables: { t: user.token } },
      { authorization: `Bearer ${user.token}` },
    );
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' }, message: expect.stringContaining('WebSocket at /graphql') });
  });

  it('a GET without Upgrade is still GraphQL over HTTP', async () => {
    const user = await signUp('live-get');
    const response = await fetch(`${server.graphqlUrl}?${new URLSearchParams({ query: '{ me { id } }' })}`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(await response.json()).toEqual({ data: { me: { id: user.id } } });
  });
});

describe('upgrades', () => {
  /**
   * Sends a WebSocket upgrade request over a plain socket: the server's first bytes (`until: 'data'`), or
   * all it wrote before it closed the connection (`until: 'close'`; one it leaves open fails, in 3 s).
   */
  const upgrade = (method: string, path: string, until: 'data' | 'close') =>
    new Promise<string>((resolve, reject) => {
      const { hostname, port } = new URL(server.baseUrl);
      const socket = connect(Number(port), hostname, () =>
        socket.write(
          `${method} ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
            `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
        ),
      );
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        answer += chunk;
        if (until === 'data') socket.destroy();
      });
      socket.on('error', reject);
      socket.setTimeout(3_000, () => reject(new Error(`the connection stayed open after: ${JSON.stringify(answer)}`)));
      socket.on('close', () => resolve(answer));
    });

  it.each([
    ['GET', '/healthz'],
    ['GET', '/graphql/x'],
    ['GET', '/nowhere'],
    ['POST', '/graphql'],
  ])('refuses an upgrade by %s to %s with 404 and closes the connection', async (method, path) => {
    expect(await upgrade(method, path, 'close')).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
  });

  it.each(['/graphql', '/graphql?client=web'])('upgrades GET %s', async (path) => {
    expect(await upgrade('GET', path, 'data')).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
  });
});

describe('shutdown', () => {
  it('closes every socket with 1001 (going away) before the server stops', async () => {
    const own = await startTestServer();
    let closing: Promise<void> | undefined;
    try {
      const user = await signUpOn(own, 'live-shutdown');
      const socket = await RawLiveSocket.signIn(own.baseUrl, user.token);
      closing = own.close();
      expect(await socket.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    } finally {
      await (closing ?? own.close());
    }
  });
});
