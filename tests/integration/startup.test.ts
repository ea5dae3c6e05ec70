import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { runCli } from '../../src/cli';
import { ormOptions } from '../../src/orm-options';
import { runServerProcessToExit, startServerProcess } from '../helpers/server-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

describe('NODE_ENV=production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production', BCRYPT_COST: '10' });
  });
  afterAll(() => server?.close());

  it('turns introspection off', async () => {
    const { status, body } = await server.post({ query: '{ __schema { types { name } } }' }, { accept: 'application/graphql-response+json' });
    expect(status).toBe(400);
    expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('hides "Did you mean" field suggestions', async () => {
    const { body } = await server.post({ query: '{ me { emial } }' });
    expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(body)).not.toMatch(/Did you mean|email/);
  });

  it('serves no landing page', async () => {
    const response = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type')).not.toMatch(/html/);
    expect(await response.text()).not.toMatch(/sandbox|<html/i);
  });

  it('still serves the API, without stack traces', async () => {
    const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
    expect((await server.sdk(register.accessToken).Me()).me.email).toBe(register.user.email);
    const { body } = await server.post({ query: '{ me { id } }' }, { authorization: 'Bearer nope' });
    expect(body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  });
});

describe('NODE_ENV=development', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'development' });
  });
  afterAll(() => server?.close());

  it('serves Apollo Sandbox to a browser', async () => {
    const response = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/sandbox/i);
  });

  it('adds stack traces to our own errors for the developer, and still masks unexpected ones', async () => {
    const { body } = await server.post({ query: '{ me { id } }' });
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', stacktrace: expect.any(Array) });
  });
});

describe('AUTH_CACHE_MAX_ENTRIES', () => {
  // The embedded database has no cache, so nothing to refuse there.
  const onPostgres = process.env.DATABASE_URL ? it : it.skip;
  onPostgres('is refused at start when a full cache could not fit in the heap', async () => {
    await expect(startTestServer({ AUTH_CACHE_MAX_ENTRIES: '10000000' })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('AUTH_CACHE_MAX_ENTRIES=10000000 may hold up to'),
    });
  });
});

describe('start-up failures: one line naming the setting, exit code 1, no stack', () => {
  const onPostgres = process.env.DATABASE_URL ? it : it.skip;
  const secret = randomBytes(48).toString('base64');
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  /** The process's whole output is one line, containing `expected`, and no stack frame. */
  const expectOneLine = (output: string, expected: RegExp) => {
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(expected)]);
    expect(output).not.toMatch(/^\s+at /m);
  };
  const sql = async <T>(url: string, query: string, params: unknown[] = []): Promise<T[]> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(query, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const urlWith = (change: (url: URL) => void) => {
    const url = new URL(process.env.DATABASE_URL!);
    change(url);
    return url.toString();
  };

  it('a PORT another process holds, before any migration runs', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const { code, output } = await runServerProcessToExit({ ...database.env, JWT_SECRET: secret, PORT: String(port) });
      expect(code).toBe(1);
      expectOneLine(output, new RegExp(`^PORT=${port} is already in use on 127\\.0\\.0\\.1: .*set PORT`));
    } finally {
      holder.close();
    }
    // The fresh database was never migrated: the embedded one was never even started.
    if (database.env.DATABASE_URL) {
      expect(await sql(database.env.DATABASE_URL, "select to_regclass('mikro_orm_migrations') as t")).toEqual([{ t: null }]);
    } else {
      expect(existsSync(join(database.env.DATA_DIR, 'pglite'))).toBe(false);
    }
  });

  it('a DATABASE_URL where nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const { code, output } = await runServerProcessToExit({
      DATA_DIR: database.env.DATA_DIR,
      JWT_SECRET: secret,
      PORT: '0',
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/gatehouse`,
    });
    expect(code).toBe(1);
    expectOneLine(output, new RegExp(`^Cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port} \\(connection refused\\).*set DATABASE_URL`));
  });

  onPostgres('a login PostgreSQL refuses (a user that does not exist)', async () => {
    const url = urlWith((u) => {
      u.username = 'nosuchuser';
      u.password = '';
    });
    const { code, output } = await runServerProcessToExit({ DATA_DIR: database.env.DATA_DIR, JWT_SECRET: secret, PORT: '0', DATABASE_URL: url });
    expect(code).toBe(1);
    expectOneLine(output, /^PostgreSQL at .* refused the login of user "nosuchuser" \(role "nosuchuser" does not exist\): set DATABASE_URL/);
  });

  onPostgres('a database that does not exist: never created by the server, created by migrate --create-database', async () => {
    const name = `gatehouse_missing_${randomBytes(6).toString('hex')}`;
    const url = urlWith((u) => void (u.pathname = `/${name}`));
    const exists = async () => (await sql(process.env.DATABASE_URL!, 'select 1 from pg_database where datname = $1', [name])).length === 1;
    try {
      const { code, output } = await runServerProcessToExit({ DATA_DIR: database.env.DATA_DIR, JWT_SECRET: secret, PORT: '0', DATABASE_URL: url });
      expect(code).toBe(1);
      expectOneLine(
        output,
        new RegExp(
          `^Database "${name}" on .* does not exist: correct DATABASE_URL, or create it \\(createdb .*${name}, or npx gatehouse migrate --create-database\\)`,
        ),
      );
      expect(await exists()).toBe(false);

      // Nor by the migrator, which MikroORM lets create one of its own accord.
      const orm = await MikroORM.init(ormOptions({ clientUrl: url, poolMax: 2 }));
      try {
        await expect(orm.getMigrator().getPendingMigrations()).rejects.toMatchObject({ code: '3D000' });
      } finally {
        await orm.close(true);
      }
      expect(await exists()).toBe(false);

      const lines: string[] = [];
      const io = { log: (line: string) => void lines.push(line), error: (line: string) => void lines.push(line) };
      const env = { DATA_DIR: database.env.DATA_DIR, JWT_SECRET: secret, DATABASE_URL: url, LOG_LEVEL: 'silent' };
      expect(await runCli(['migrate', '--create-database'], env, io)).toBe(0);
      expect(lines[0]).toBe(`Created database "${name}".`);
      expect(await sql(url, "select to_regclass('mikro_orm_migrations') as t")).toEqual([{ t: 'mikro_orm_migrations' }]);
    } finally {
      await sql(process.env.DATABASE_URL!, `drop database if exists "${name}" with (force)`);
    }
  });
});

describe('NODE_ENV=production on the embedded database', () => {
  // The embedded database is what runs without DATABASE_URL; the PostgreSQL pass has nothing to add.
  const onEmbedded = process.env.DATABASE_URL ? it.skip : it;
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  onEmbedded('logs a warning that names DATABASE_URL', async () => {
    const server = await startServerProcess({
      DATA_DIR: database.env.DATA_DIR,
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(48).toString('base64'),
      BCRYPT_COST: '10',
    });
    try {
      const find = () =>
        server
          .output()
          .split('\n')
          .find((line) => line.includes('"level":40') && line.includes('embedded database'));
      // Written before the server listens, but its pipe may deliver it after /readyz answers: bounded wait.
      for (let i = 0; i < 100 && !find(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const warning = find();
      expect(JSON.parse(warning!).msg).toMatch(/^NODE_ENV=production on the embedded database .*set DATABASE_URL to a PostgreSQL server/);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
