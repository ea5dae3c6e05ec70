import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { signUp, expectTokens } from '../helpers/factories';
import { failure } from '../helpers/failure';
import { startServerProcess, type ServerProcess } from '../helpers/server-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { PASSWORD, uniqueEmail } from '../helpers/test-server';

// Three server processes on one PostgreSQL database, each with its own auth cache. A change made through
// one instance holds on the other two by the time its response has been read: no waiting, no retries.

const onPostgres = process.env.DATABASE_URL ? describe : describe.skip;

onPostgres('three instances on one database', () => {
  let database: TestDatabase;
  let sql: Client;
  let a: ServerProcess, b: ServerProcess, c: ServerProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      ...database.env,
      JWT_SECRET: randomBytes(48).toString('base64'),
      BCRYPT_COST: '4',
      RATE_LIMIT_LOGIN_IP: '100000/1m',
      RATE_LIMIT_REGISTER_IP: '100000/1m',
      RATE_LIMIT_ACCOUNT_FAILURES: '3/1m',
    };
    // One first, so the others find the migrations applied; then two at once.
    a = await startServerProcess(env);
    [b, c] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    sql = new Client({ connectionString: database.env.DATABASE_URL });
    await sql.connect();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a, b, c].map((server) => server?.stop()));
    await sql?.end();
    await database?.drop();
  });

  const others = () => [b, c];
  /** Two `me` each on B and C: the second one is answered from their caches. */
  async function warm(token: string) {
    for (const server of [...others(), ...others()]) expect((await server.sdk(token).Me()).me).toBeTruthy();
  }

  it('logout through A: the token is refused by B and C at once', async () => {
    const { token } = await signUp(a);
    await warm(token);
    await a.sdk(token).Logout();
    for (const server of others()) {
      expect(await failure(server.sdk(token).Me())).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
    }
  });

  it('a session revoked through A: its token is refused by B and C at once', async () => {
    const { email, token } = await signUp(a);
    const second = expectTokens((await b.sdk().Login({ input: { email, password: PASSWORD } })).login).accessToken;
    await warm(second);
    const { sessions } = await a.sdk(token).Sessions();
    const other = sessions.find((session) => !session.current)!;
    await a.sdk(token).RevokeSession({ id: other.id });
    for (const server of others()) {
      expect(await failure(server.sdk(second).Me())).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
    }
    // The session the revocation came from is untouched.
    expect((await c.sdk(token).Me()).me.email).toBe(email);
  });

  it('a role change through A: B and C authorize by the new role at once', async () => {
    const admin = await signUp(a);
    await sql.query(`update users set role = 'ADMIN' where id = $1`, [admin.id]);
    const user = await signUp(a);
    await warm(user.token);
    expect(await failure(b.sdk(user.token).Users({}))).toMatchObject({ code: 'FORBIDDEN' });

    await a.sdk(admin.token).SetUserRole({ id: user.id, role: 'ADMIN' });
    for (const server of others()) {
      expect((await server.sdk(user.token).Me()).me.role).toBe('ADMIN');
      expect((await server.sdk(user.token).Users({})).users.edges.length).toBeGreaterThan(0);
    }
    await a.sdk(admin.token).SetUserRole({ id: user.id, role: 'USER' });
    for (const server of others()) expect(await failure(server.sdk(user.token).Users({}))).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a user disabled through A: every session is refused by B and C at once', async () => {
    const admin = await signUp(a);
    await sql.query(`update users set role = 'ADMIN' where id = $1`, [admin.id]);
    const user = await signUp(a);
    await warm(user.token);
    await a.sdk(admin.token).DisableUser({ id: user.id });
    for (const server of others()) expect(await failure(server.sdk(user.token).Me())).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it("an admin ends a user's sessions through A (one, then all): B and C refuse their tokens at once", async () => {
    const admin = await signUp(a);
    await sql.query(`update users set role = 'ADMIN' where id = $1`, [admin.id]);
    const user = await signUp(a);
    const second = expectTokens((await b.sdk().Login({ input: { email: user.email, password: PASSWORD } })).login).accessToken;
    await warm(user.token);
    await warm(second);
    const { userSessions } = await a.sdk(admin.token).UserSessions({ userId: user.id });
    await a.sdk(admin.token).RevokeUserSession({ userId: user.id, sessionId: userSessions[0].id });
    for (const server of others()) {
      expect(await failure(server.sdk(second).Me())).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
      expect((await server.sdk(user.token).Me()).me.id).toBe(user.id);
    }
    expect((await a.sdk(admin.token).RevokeUserSessions({ userId: user.id })).revokeUserSessions).toBe(1);
    for (const server of others()) {
      expect(await failure(server.sdk(user.token).Me())).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
    }
  });

  it('shares rate limits: failed passwords count across the three', async () => {
    const { email } = await signUp(a);
    const attempt = (server: ServerProcess) =>
      server
        .sdk()
        .Login({ input: { email, password: 'not the password at all' } })
        .then(
          () => 'ok',
          (error: { code: string }) => error.code,
        );
    const wrong = 'UNAUTHENTICATED';
    expect([await attempt(a), await attempt(b), await attempt(c), await attempt(a)]).toEqual([wrong, wrong, wrong, 'RATE_LIMITED']);
  });
});

onPostgres('WORKERS=2', () => {
  it('serves one port from two processes and stops them both on SIGTERM', async () => {
    const database = await createTestDatabase();
    const server = await startServerProcess({ ...database.env, WORKERS: '2', JWT_SECRET: randomBytes(48).toString('base64'), LOG_LEVEL: 'info' });
    const sql = new Client({ connectionString: database.env.DATABASE_URL });
    await sql.connect();
    try {
      // Each worker keeps its own auth cache listener: two of them, from two processes.
      const listeners = async () =>
        (
          await sql.query<{ pid: number }>(
            `select pid from pg_stat_activity where application_name = 'gatehouse-listener' and datname = current_database()`,
          )
        ).rowCount;
      for (let i = 0; i < 100 && (await listeners()) !== 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await listeners()).toBe(2);
      const readyPids = () => new Set([...server.output().matchAll(/"pid":(\d+).*Gatehouse ready/g)].map((match) => match[1]));
      for (let i = 0; i < 100 && readyPids().size < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(readyPids().size).toBe(2);
      expect(readyPids().has(String(server.pid))).toBe(false);
      expect((await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } })).register.accessToken).toBeTruthy();
      expect(await server.stop('SIGTERM')).toBe(0);
    } finally {
      await server.stop('SIGKILL');
      await sql.end();
      await database.drop();
    }
  });
});
