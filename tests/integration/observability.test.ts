import { randomBytes } from 'node:crypto';
import { failure } from '../helpers/failure';
import { startServerProcess, type ServerProcess } from '../helpers/server-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';
import { expectTokens } from '../helpers/factories';

// What operators read: the access log of a real process (one line per request, with a request id and
// no secrets in it) and the Prometheus metrics.

describe('logs', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  const secret = randomBytes(48).toString('base64');
  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startServerProcess({ ...database.env, JWT_SECRET: secret, BCRYPT_COST: '4', LOG_LEVEL: 'debug' });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  const lines = () =>
    server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('writes one JSON line per request with its id, operation, outcome and duration, and returns the id', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-abc.123' },
      body: JSON.stringify({ query: 'query WhoAmI { me { id } }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('trace-abc.123');
    // Anything but a plain id is replaced, so a header cannot forge or bloat log lines.
    const forged = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'a"b\\nfake' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    await new Promise((resolve) => setTimeout(resolve, 200));
    const line = lines().find((entry) => entry.requestId === 'trace-abc.123' && entry.msg === 'request');
    expect(line).toMatchObject({
      method: 'POST',
      path: '/graphql',
      status: 200,
      operation: 'WhoAmI',
      field: 'me',
      outcome: 'UNAUTHENTICATED:TOKEN_MISSING',
      durationMs: expect.any(Number),
    });
    expect(lines().filter((entry) => entry.requestId === 'trace-abc.123')).toHaveLength(1);
  });

  it('never writes a password, token, hash, cookie or secret, whatever the request', async () => {
    const email = uniqueEmail();
    const sdk = server.sdk();
    const { register } = await sdk.Register({ input: { email, password: PASSWORD } });
    const login = expectTokens((await sdk.Login({ input: { email, password: PASSWORD } })).login);
    await failure(sdk.Login({ input: { email, password: `${PASSWORD} but wrong` } }));
    await server.sdk(login.accessToken).Me();
    const { refresh } = await sdk.Refresh({ refreshToken: login.refreshToken });
    await server.sdk(refresh.accessToken).ChangePassword({ input: { currentPassword: PASSWORD, newPassword: `${PASSWORD} renewed` } });
    await failure(server.sdk(register.accessToken).Me());
    // Variables in a GET query string, a cookie, and a body the server cannot parse.
    const variables = encodeURIComponent(JSON.stringify({ password: PASSWORD }));
    await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ __typename }')}&variables=${variables}`, {
      headers: { 'apollo-require-preflight': 'true', cookie: `gatehouse_refresh=${login.refreshToken}` },
    });
    await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"password": "${PASSWORD}"` });
    await new Promise((resolve) => setTimeout(resolve, 300));

    const output = server.output();
    expect(lines().filter((entry) => entry.msg === 'request').length).toBeGreaterThanOrEqual(9);
    for (const forbidden of [
      PASSWORD,
      encodeURIComponent(PASSWORD),
      register.accessToken,
      login.accessToken,
      login.refreshToken,
      refresh.refreshToken,
      secret,
    ]) {
      expect(output).not.toContain(forbidden);
    }
    // No password hash of any scheme.
    expect(output).not.toMatch(/\$2[aby]\$\d\d\$|bcrypt-sha256\$/);
  });
});

describe('metrics', () => {
  let server: TestServer;
  const token = randomBytes(24).toString('base64url');
  beforeAll(async () => {
    server = await startTestServer({ METRICS_PORT: '0', METRICS_TOKEN: token });
  });
  afterAll(() => server?.close());

  const scrape = async () => (await fetch(server.gatehouse.metricsUrl!)).text();
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  };

  it('counts operations, logins by result, token rejections and security events', async () => {
    const email = uniqueEmail();
    const { register } = await server.sdk().Register({ input: { email, password: PASSWORD } });
    await server.sdk().Login({ input: { email, password: PASSWORD } });
    await failure(server.sdk().Login({ input: { email, password: 'wrong wrong wrong' } }));
    await failure(server.sdk('not-a-token').Me());
    // A refused refresh token is not an access token: it is not counted with them.
    await failure(server.sdk().Refresh({ refreshToken: randomBytes(32).toString('base64url') }));
    await server.sdk(register.accessToken).Logout();
    await failure(server.sdk(register.accessToken).Me());

    const text = await scrape();
    expect(value(text, 'gatehouse_logins_total{result="success"}')).toBe(1);
    expect(value(text, 'gatehouse_logins_total{result="INVALID_CREDENTIALS"}')).toBe(1);
    expect(value(text, 'gatehouse_token_rejections_total{reason="TOKEN_INVALID"}')).toBe(1);
    expect(value(text, 'gatehouse_token_rejections_total{reason="TOKEN_REVOKED"}')).toBe(1);
    expect(value(text, 'gatehouse_security_events_total{type="REVOKED_TOKEN_REUSE"}')).toBe(1);
    expect(value(text, 'gatehouse_graphql_requests_total{field="logout",type="mutation",outcome="ok"}')).toBe(1);
    expect(value(text, 'gatehouse_graphql_request_duration_seconds_count{field="me",type="query"}')).toBe(2);
    expect(text).toMatch(/^gatehouse_db_pool_connections\{state="used"\} \d+/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('serves the main port only to a scraper with the token', async () => {
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const allowed = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('gatehouse_graphql_requests_total');
  });

  it('is not served at all unless configured', async () => {
    const plain = await startTestServer();
    try {
      expect((await fetch(`${plain.baseUrl}/metrics`)).status).toBe(404);
      expect(plain.gatehouse.metricsUrl).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});
