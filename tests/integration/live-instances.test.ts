import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { logIn, signUp } from '../helpers/factories';
import { RawLiveSocket } from '../helpers/live-socket';
import { startServerProcess, type ServerProcess } from '../helpers/server-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// Three server processes on one PostgreSQL database: a session ended through one instance closes its
// sockets on the others (each learns it from the database's notifications, LISTEN/NOTIFY).

const onPostgres = process.env.DATABASE_URL ? describe : describe.skip;
const SESSION_EVENTS = 'subscription { sessionEvents { type current reason } }';

onPostgres('the live channel on three instances', () => {
  let database: TestDatabase;
  let a: ServerProcess, b: ServerProcess, c: ServerProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      ...database.env,
      JWT_SECRET: randomBytes(48).toString('base64'),
      BCRYPT_COST: '4',
      RATE_LIMIT_LOGIN_IP: '100000/1m',
      RATE_LIMIT_REGISTER_IP: '100000/1m',
    };
    a = await startServerProcess(env);
    [b, c] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a, b, c].map((server) => server?.stop()));
    await database?.drop();
  });

  /** A signed-in socket on `server` with sessionEvents running as subscription "s". */
  const watch = (server: ServerProcess, token: string) => RawLiveSocket.watching(server.url, token, SESSION_EVENTS);

  it('logout ALL through A: the sockets on B and C get SESSION_REVOKED, then close with 4401', async () => {
    const user = await signUp(a, 'live-cluster');
    const onB = await logIn(b, user.email);
    const onC = await logIn(c, user.email);
    const sockets = [await watch(b, onB.token), await watch(c, onC.token), await watch(c, user.token)];
    // Another user's socket on B stays open.
    const bystander = await signUp(b, 'live-cluster-bystander');
    const untouched = await watch(b, bystander.token);

    await a.sdk(user.token).Logout({ scope: 'ALL' });
    for (const socket of sockets) {
      expect(await socket.closed).toEqual({ code: 4401, reason: 'session ended' });
      expect(socket.data('s').at(-1)).toEqual({ data: { sessionEvents: { type: 'SESSION_REVOKED', current: true, reason: 'LOGOUT' } } });
    }
    expect(untouched.ws.readyState).toBe(untouched.ws.OPEN);
    expect(untouched.data('s')).toEqual([]);
    untouched.close();
  });

  it("a user disabled by an operator's SQL: every instance closes the user's sockets", async () => {
    const user = await signUp(a, 'live-cluster-sql');
    const sockets = [await watch(b, user.token), await watch(c, user.token)];
    const sql = new Client({ connectionString: database.env.DATABASE_URL });
    await sql.connect();
    try {
      await sql.query('update users set disabled_at = now() where id = $1', [user.id]);
    } finally {
      await sql.end();
    }
    for (const socket of sockets) {
      expect((await socket.closed).code).toBe(4401);
      expect(socket.data('s').at(-1)).toEqual({ data: { sessionEvents: { type: 'SESSION_REVOKED', current: true, reason: 'USER_DISABLED' } } });
    }
  });

  it('a server that stops closes its sockets with 1001 (going away)', async () => {
    const user = await signUp(a, 'live-cluster-stop');
    const socket = await watch(c, user.token);
    await c.stop('SIGTERM');
    expect((await socket.closed).code).toBe(1001);
  });
});
