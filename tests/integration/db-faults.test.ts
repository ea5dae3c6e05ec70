import { Client } from 'pg';
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
const LOGIN = 'mutation ($i: LoginInput!) { login(input: $i) { ... on AuthPayload { accessToken } } }';
const REFRESH = 'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }';
const CHANGE_PASSWORD = 'mutation ($i: ChangePasswordInput!) { changePassword(input: $i) { accessToken } }';
/** What the driver says of a connection cut under a statement (pg), converted as the ORM converts it. */
const DRIVER_CUT = 'Connection terminated unexpectedly';
const onPostgres = process.env.DATABASE_URL ? it : it.skip;
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, string>;

describe('logs', () => {
  it('write an interrupted statement as its error chain, without its SQL or any value', async () => {
    const email = uniqueEmail('logged');
    const { body } = await server.post({ query: REGISTER, variables: { i: { email, password: PASSWORD } } }, CLIENT);
    const { accessToken, refreshToken, user } = (body.data as { register: { accessToken: string; refreshToken: string; user: { id: string } } })
      .register;
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
      expect.objectContaining({
        msg: 'database unavailable',
        path: ['me'],
        err: expect.objectContaining({ message: 'Connection terminated unexpectedly' }),
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'readiness check failed', err: expect.objectContaining({ type: expect.any(String) }) }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/security event/) }));
    const text = log.text();
    for (const value of [user.id, sid, jti, IP, USER_AGENT, email, refreshToken]) expect(text).not.toContain(value);
    expect(text).not.toMatch(/\b(select|insert|update|delete|from|where|values)\b/i);
  });
});

describe('a connection that dies inside a transaction', () => {
  const register = async (email = uniqueEmail()) => (await server.sdk().Register({ input: { email, password: PASSWORD } })).register;
  const unavailableLines = () => log.lines().filter((line) => line.msg === 'database unavailable' || line.msg === 'unexpected error');

  // A refresh and a login each write in one statement of plain SQL (src/sessions/session.service.ts), cut
  // here as it is sent: the driver's own error, as the ORM converts it. A password change is an ORM
  // transaction: knex sends BEGIN, the connection dies, knex swallows that error and runs the
  // transaction's first statement anyway: "Transaction query already complete", with no code. Either is
  // an outage all the same.
  type Tokens = { accessToken: string; refreshToken: string };
  const sends: [string, string, (tokens: Tokens, email: string) => Promise<{ body: { errors?: unknown[] } }>, string][] = [
    ['refresh', 'refresh_tokens', async ({ refreshToken }) => server.post({ query: REFRESH, variables: { t: refreshToken } }), DRIVER_CUT],
    ['login', 'into sessions', async (_, email) => server.post({ query: LOGIN, variables: { i: { email, password: PASSWORD } } }), DRIVER_CUT],
    [
      'changePassword',
      'BEGIN;',
      async ({ accessToken }) =>
        server.post(
          { query: CHANGE_PASSWORD, variables: { i: { currentPassword: PASSWORD, newPassword: 'an entirely new passphrase' } } },
          { authorization: `Bearer ${accessToken}` },
        ),
      'Transaction query already complete, run with DEBUG=knex:tx for more info',
    ],
  ];
  it.each(sends)(
    'answers %s with SERVICE_UNAVAILABLE when the connection dies as it sends %s, and logs the chain that says why',
    async (field, text, send, message) => {
      const email = uniqueEmail();
      const tokens = await register(email);
      const before = unavailableLines().length;
      const cut = db.proxy.cutOn(text);
      const pending = send(tokens, email);
      await cut;
      db.proxy.restore();
      const { body } = await pending;
      expect(body.errors).toEqual([expect.objectContaining({ path: [field], extensions: { code: 'SERVICE_UNAVAILABLE' } })]);
      expect(unavailableLines().slice(before)).toEqual([
        expect.objectContaining({
          msg: 'database unavailable',
          path: [field],
          err: { type: 'DriverException', message },
        }),
      ]);
      // Nothing was spent or changed: the same refresh token still works once the database is back.
      expect((await server.sdk().Refresh({ refreshToken: tokens.refreshToken })).refresh.accessToken).toEqual(expect.any(String));
    },
  );

  // The backend of a refresh waiting on a row lock is terminated (as a shutdown does): 57P01 at FATAL.
  onPostgres('answers a refresh whose backend is terminated mid-transaction with SERVICE_UNAVAILABLE', async () => {
    const { refreshToken } = await register();
    const holder = new Client({ connectionString: db.url });
    const admin = new Client({ connectionString: db.url });
    await holder.connect();
    await admin.connect();
    try {
      await holder.query('begin');
      await holder.query('select id from sessions for update');
      const before = unavailableLines().length;
      const pending = server.post({ query: REFRESH, variables: { t: refreshToken } });
      let pid: number | undefined;
      for (const started = Date.now(); !pid && Date.now() - started < 10_000; await new Promise((resolve) => setTimeout(resolve, 20))) {
        const { rows } = await admin.query<{ pid: number }>(
          "select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%sessions%'",
        );
        pid = rows[0]?.pid;
      }
      expect(pid).toEqual(expect.any(Number));
      await admin.query('select pg_terminate_backend($1)', [pid]);
      expect((await pending).body.errors?.[0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
      expect(unavailableLines().slice(before)).toEqual([
        expect.objectContaining({
          msg: 'database unavailable',
          err: { type: 'DriverException', code: '57P01', severity: 'FATAL', routine: 'ProcessInterrupts' },
        }),
      ]);
    } finally {
      await holder.end();
      await admin.end();
    }
    expect((await server.sdk().Refresh({ refreshToken })).refresh.accessToken).toEqual(expect.any(String));
  });
});
