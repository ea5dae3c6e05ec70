import { connect, type Socket } from 'node:net';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// Slow, half-sent and idle clients over real sockets: each is cut by its own timeout, and connections
// past MAX_CONNECTIONS are closed on arrival. The waits are bounds (liveness), not measurements.

interface RawConnection {
  socket: Socket;
  /** Resolves with everything the server sent once it closes the connection; rejects after `boundMs`. */
  closedWithin(boundMs: number): Promise<string>;
}

async function open(baseUrl: string): Promise<RawConnection> {
  const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  await new Promise((resolve) => socket.once('connect', resolve));
  return {
    socket,
    closedWithin: (boundMs) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`still open after ${boundMs} ms; received: ${received}`)), boundMs);
        void closed.then((text) => {
          clearTimeout(timer);
          resolve(text);
        });
      }),
  };
}

/** Writes one byte every `everyMs` until the socket closes: never idle, never finished. */
function trickle(socket: Socket, everyMs: number): void {
  const timer = setInterval(() => socket.writable && socket.write('a'), everyMs);
  socket.once('close', () => clearInterval(timer));
}

const bodyOf = (response: string): unknown => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

describe('timeouts', () => {
  let server: TestServer;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = await startTestServer({ REQUEST_TIMEOUT: '2s', HEADERS_TIMEOUT: '1s', KEEP_ALIVE_TIMEOUT: '1s' });
  });
  afterEach(() => sockets.splice(0).forEach((socket) => socket.destroy()));
  afterAll(() => server.close());

  const track = (connection: RawConnection) => (sockets.push(connection.socket), connection);

  it('answers 408 and closes a request whose body keeps trickling past REQUEST_TIMEOUT', async () => {
    const { socket, closedWithin } = track(await open(server.baseUrl));
    socket.write('POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
    trickle(socket, 200);
    const response = await closedWithin(10_000);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(response)).toEqual({ errors: [{ message: 'The request was not received in time.', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('answers 408 and closes a request whose headers keep trickling past HEADERS_TIMEOUT', async () => {
    const { socket, closedWithin } = track(await open(server.baseUrl));
    socket.write('POST /graphql HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    trickle(socket, 200);
    expect(await closedWithin(10_000)).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection that sends nothing after HEADERS_TIMEOUT', async () => {
    const { closedWithin } = track(await open(server.baseUrl));
    await closedWithin(10_000);
  });

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT, and says so in Keep-Alive', async () => {
    const { socket, closedWithin } = track(await open(server.baseUrl));
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
    const response = await closedWithin(10_000);
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toMatch(/\r\nkeep-alive: timeout=1\r\n/i);
  });

  it('still serves requests that arrive in time', async () => {
    const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
    expect(register.accessToken).toBeTruthy();
  });
});

describe('connection limit', () => {
  const METRICS_TOKEN = 'metrics-token-0123456789';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ MAX_CONNECTIONS: '2', METRICS_TOKEN });
  });
  afterAll(() => server.close());

  const openConnections = () => new Promise<number>((resolve) => server.gatehouse.fastify.server.getConnections((_error, count) => resolve(count)));
  const until = async (condition: () => Promise<boolean>) => {
    while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it('closes connections past MAX_CONNECTIONS on arrival, and takes new ones once some close', async () => {
    const held = [await open(server.baseUrl), await open(server.baseUrl)];
    // connect() completes in the kernel; the server counts a connection once it has accepted it.
    await until(async () => (await openConnections()) === 2);

    const refused = await open(server.baseUrl);
    refused.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await refused.closedWithin(5_000)).toBe('');

    held[0].socket.destroy();
    await until(async () => (await openConnections()) === 1);
    const metrics = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await metrics.text();
    expect(metrics.status).toBe(200);
    expect(text).toMatch(/^gatehouse_http_connections_dropped_total 1$/m);
    expect(text).toMatch(/^gatehouse_http_connections 2$/m);
    held[1].socket.destroy();
  });
});
