import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDatabase } from '../../src/db/embedded';
import { createTestDatabase } from '../helpers/test-database';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// The server reaches its database through a proxy this test can cut: while the database is unreachable,
// every request fails fast and closed with SERVICE_UNAVAILABLE; when it returns, service resumes.

let proxy: TcpProxy;
let server: TestServer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  let databaseUrl: string;
  if (process.env.DATABASE_URL) {
    const database = await createTestDatabase();
    cleanups.push(database.drop);
    const url = new URL(database.env.DATABASE_URL!);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    databaseUrl = url.toString();
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'gh-outage-'));
    const embedded = await startEmbeddedDatabase(dir, { maxConnections: 40 });
    cleanups.push(
      () => embedded.close(),
      () => rm(dir, { recursive: true, force: true }),
    );
    proxy = await startTcpProxy({ path: join(embedded.host, `.s.PGSQL.${embedded.port}`) });
    databaseUrl = `postgresql://postgres@127.0.0.1:${proxy.port}/postgres`;
  }
  server = await startTestServer({ DATABASE_URL: databaseUrl });
});

afterAll(async () => {
  await server?.close();
  await proxy?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

it('fails closed with SERVICE_UNAVAILABLE while the database is down, and recovers without a restart', async () => {
  const email = uniqueEmail();
  const { register } = await server.sdk().Register({ input: { email, password: PASSWORD } });
  const token = register.accessToken;
  // A token the auth cache has answered before (on PostgreSQL) is refused too, within the cache's 2 s bound.
  const { register: cached } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
  await server.sdk(cached.accessToken).Me();
  await server.sdk(cached.accessToken).Me();

  proxy.cut();
  try {
    const attempts = {
      me: server.post({ query: '{ me { id } }' }, { authorization: `Bearer ${token}` }),
      logout: server.post({ query: 'mutation { logout }' }, { authorization: `Bearer ${token}` }),
      login: server.post({
        query: 'mutation ($input: LoginInput!) { login(input: $input) { ... on AuthPayload { accessToken } } }',
        variables: { input: { email, password: PASSWORD } },
      }),
      register: server.post({
        query: 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken } }',
        variables: { input: { email: uniqueEmail(), password: PASSWORD } },
      }),
    };
    for (const [name, pending] of Object.entries(attempts)) {
      const { status, body } = await pending;
      expect({ name, status, data: body.data }).toEqual({ name, status: 200, data: null });
      expect({ name, errors: body.errors }).toEqual({
        name,
        errors: [expect.objectContaining({ message: expect.any(String), extensions: { code: 'SERVICE_UNAVAILABLE' } })],
      });
      expect(JSON.stringify(body)).not.toMatch(/ECONN|terminated|select|insert|127\.0\.0\.1/i);
    }
    const started = Date.now();
    let code: unknown;
    while (
      (code = (await server.post({ query: '{ me { id } }' }, { authorization: `Bearer ${cached.accessToken}` })).body.errors?.[0]?.extensions
        ?.code) === undefined
    ) {
      expect(Date.now() - started).toBeLessThan(2_500);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(code).toBe('SERVICE_UNAVAILABLE');
    // Not ready, but alive: restarting the process would not bring the database back.
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  } finally {
    proxy.restore();
  }
  const { me } = await server.sdk(token).Me();
  expect(me.email).toBe(email);
  expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
  // The logout attempted during the outage did not happen, so the token still works: nothing half-written.
  expect((await server.sdk(token).Logout()).logout).toBe(true);
});

it('masks an unexpected database error as INTERNAL_SERVER_ERROR without SQL', async () => {
  const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
  await server.gatehouse.database.orm.em.fork().getConnection().execute('alter table revoked_tokens rename to revoked_tokens_gone');
  try {
    const { status, body } = await server.post({ query: '{ me { id } }' }, { authorization: `Bearer ${register.accessToken}` });
    expect(status).toBe(200);
    expect(body.errors).toEqual([expect.objectContaining({ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
    expect(JSON.stringify(body)).not.toMatch(/revoked_tokens|select|relation|stack/i);
  } finally {
    await server.gatehouse.database.orm.em.fork().getConnection().execute('alter table revoked_tokens_gone rename to revoked_tokens');
  }
});
