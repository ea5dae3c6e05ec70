import { Client } from 'pg';
import { factories } from '../helpers/factories';
import { failure } from '../helpers/failure';
import { startTestServer, type TestServer } from '../helpers/test-server';

// The in-process auth cache against the real database: it answers tokens it has seen, forgets them the
// moment the database says so (whoever wrote the change), and stops answering when it cannot hear.

let server: TestServer;
let sql: Client | undefined;
beforeAll(async () => {
  server = await startTestServer();
  if (server.env.DATABASE_URL) {
    sql = new Client({ connectionString: server.env.DATABASE_URL });
    await sql.connect();
  }
});
afterAll(async () => {
  await sql?.end();
  await server?.close();
});

const { signUp } = factories(() => server);
const hits = () => server.gatehouse.authCache!.stats.hits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `me` until it fails; returns the failure and how long it took. */
async function refusedWithin(token: string, boundMs: number) {
  const started = Date.now();
  for (;;) {
    const outcome = await server
      .sdk(token)
      .Me()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    if (outcome) return { error: outcome as { code: string; reason?: string }, ms: Date.now() - started };
    if (Date.now() - started > boundMs) throw new Error(`still accepted after ${boundMs} ms`);
    await sleep(10);
  }
}

const onEmbedded = process.env.DATABASE_URL ? it.skip : it;
const onPostgres = process.env.DATABASE_URL ? it : it.skip;

onEmbedded('is off on the embedded database, which cannot notify other connections', () => {
  expect(server.gatehouse.authCache).toBeUndefined();
});

onPostgres('answers a token it has seen without asking the database again', async () => {
  const { accessToken } = await signUp();
  await server.sdk(accessToken).Me();
  const before = hits();
  for (let i = 0; i < 5; i++) await server.sdk(accessToken).Me();
  expect(hits() - before).toBe(5);
});

onPostgres('refuses a token as soon as logout answers, on the same instance', async () => {
  const { accessToken } = await signUp();
  await server.sdk(accessToken).Me();
  await server.sdk(accessToken).Logout();
  expect(await failure(server.sdk(accessToken).Me())).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
});

onPostgres.each([
  [
    'revoked in SQL',
    (jti: string, _sid: string, uid: string) => `insert into revoked_tokens values ('${jti}', '${uid}', now() + interval '1 hour', now())`,
  ],
  ['its session ended in SQL', (_: string, sid: string) => `update sessions set revoked_at = now() where id = '${sid}'`],
  ['its user disabled in SQL', (_: string, __: string, uid: string) => `update users set disabled_at = now() where id = '${uid}'`],
])('refuses a cached token %s by an operator, within the 2 s bound', async (_label, statement) => {
  const { accessToken, user } = await signUp();
  await server.sdk(accessToken).Me();
  await server.sdk(accessToken).Me();
  const { jti, sid } = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { jti: string; sid: string };
  await sql!.query(statement(jti, sid, user.id));
  const { error, ms } = await refusedWithin(accessToken, 2_000);
  expect(error).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
  // Notifications arrive in milliseconds; the bound is for a connection that fails silently.
  expect(ms).toBeLessThan(2_000);
});

onPostgres('sees a role change made in SQL within the bound', async () => {
  const { accessToken, user } = await signUp();
  expect((await server.sdk(accessToken).Me()).me.role).toBe('USER');
  await sql!.query(`update users set role = 'ADMIN' where id = $1`, [user.id]);
  const started = Date.now();
  while ((await server.sdk(accessToken).Me()).me.role !== 'ADMIN') {
    expect(Date.now() - started).toBeLessThan(2_000);
    await sleep(10);
  }
});

onPostgres('bypasses itself while the notification connection is down, and recovers', async () => {
  const { accessToken } = await signUp();
  await server.sdk(accessToken).Me();
  await sql!.query(
    `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'gatehouse-listener' and datname = current_database()`,
  );
  await sleep(50);
  const before = hits();
  await server.sdk(accessToken).Me();
  expect(hits()).toBe(before);
  expect(server.gatehouse.authCache!.trusted).toBe(false);
  // It reconnects by itself and starts answering again.
  for (let i = 0; i < 100 && !server.gatehouse.authCache!.trusted; i++) await sleep(50);
  expect(server.gatehouse.authCache!.trusted).toBe(true);
  await server.sdk(accessToken).Me();
  await server.sdk(accessToken).Me();
  expect(hits()).toBeGreaterThan(before);
});

onPostgres('forgets everything, with one notification, when a statement revokes many tokens at once', async () => {
  const { accessToken } = await signUp();
  await server.sdk(accessToken).Me();
  await server.sdk(accessToken).Me();
  const { jti, sub } = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { jti: string; sub: string };
  const before = server.gatehouse.authCache!.stats.invalidations;
  await sql!.query(
    `insert into revoked_tokens select gen_random_uuid(), $1::uuid, now() + interval '1 hour', now() from generate_series(1, 5000)
     union all select $2::uuid, $1::uuid, now() + interval '1 hour', now()`,
    [sub, jti],
  );
  const { error } = await refusedWithin(accessToken, 2_000);
  expect(error).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
  expect(server.gatehouse.authCache!.stats.invalidations - before).toBe(1);
});
