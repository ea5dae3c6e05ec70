import { captureLog, type CapturedLog } from '../helpers/log-capture';
import { startProxiedDatabase, type ProxiedDatabase } from '../helpers/proxied-database';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// Faults in the middle of a statement: the database goes away exactly while the server waits on one
// (the proxy cuts when it sees the statement go by), which is what a PostgreSQL restart does under load.

let db: ProxiedDatabase;
let server: TestServer;
let log: CapturedLog;
beforeAll(async () => {
  db = await startProxiedDatabase();
  // TRUST_PROXY=1: the client address comes from X-Forwarded-For, so it is told apart from the database's.
  server = await startTestServer({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', AUTH_CACHE: 'false', TRUST_PROXY: '1' });
  log = captureLog(server);
});
afterAll(async () => {
  await server?.close();
  await db?.close();
});

const IP = '203.0.113.77';
const USER_AGENT = 'ProbeAgent/7.7 (unique-agent-marker)';
const CLIENT = { 'x-forwarded-for': IP, 'user-agent': USER_AGENT };
const REGISTER = 'mutation ($i: RegisterInput!) { register(input: $i) { accessToken refreshToken user { id } } }';
const LOGIN = 'mutation ($i: LoginInput!) { login(input: $i) { accessToken } }';
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, string>;

describe('logs', () => {
  it('write an interrupted statement as its error chain, without its SQL or any value', async () => {
    const email = uniqueEmail('logged');
    const { body } = await server.post({ query: REGISTER, variables: { i: { email, password: PASSWORD } } }, CLIENT);
    const { accessToken, refreshToken, user } = (body.data as { register: { accessToken: string; refreshToken: string; user: { id: string } } }).register;
    const { jti, sid } = claims(accessToken);

    // The viewer's query (user id, session id and jti inlined) cut in flight; readiness checked meanwhile.
    let cut = db.proxy.cutOn('revoked_tokens');
    const me = server.post({ query: '{ me { id } }' }, { ...CLIENT, authorization: `Bearer ${accessToken}` });
    await cut;
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(503);
    db.proxy.restore();
    expect((await me).body.errors?.[0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });

    // The security event of a failed login (user id, IP and user agent inlined) cut in flight.
    cut = db.proxy.cutOn('security_events');
    const login = server.post({ query: LOGIN, variables: { i: { email, password: `${PASSWORD}!` } } }, CLIENT);
    await cut;
    db.proxy.restore();
    expect((await login).body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });
    await new Promise((resolve) => setTimeout(resolve, 200));

    const lines = log.lines();
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'database unavailable', path: ['me'], err: expect.objectContaining({ message: 'Connection terminated unexpectedly' }) }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'readiness check failed', err: expect.objectContaining({ type: expect.any(String) }) }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/security event/) }));
    const text = log.text();
    for (const value of [user.id, sid, jti, IP, USER_AGENT, email, refreshToken]) expect(text).not.toContain(value);
    expect(text).not.toMatch(/\b(select|insert|update|delete|from|where|values)\b/i);
  });
});
