import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { migrationsList } from '../../migrations';
import { failureText } from '../../src/failure-text';
import { startTestServer, type TestServer } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe('migrations', () => {
  it('are applied at start-up and match the entities exactly', async () => {
    const migrator = server.gatehouse.database.orm.getMigrator();
    expect(await migrator.getPendingMigrations()).toEqual([]);
    expect((await migrator.getExecutedMigrations()).map((m) => m.name)).toEqual(migrationsList.map((m) => m.name));
    // An entity change without a migration makes this true.
    expect(await migrator.checkMigrationNeeded()).toBe(false);
  });

  it('lists every migration file in migrations/index.ts', () => {
    const files = readdirSync(join(__dirname, '../../migrations'))
      .filter((file) => /^Migration\d+.*\.ts$/.test(file))
      .map((file) => file.replace(/\.ts$/, ''));
    expect(migrationsList.map((m) => m.name).sort()).toEqual(files.sort());
  });
});

describe('an unexpected error, as the server and the CLI print it when they stop', () => {
  it('shows its chain and stack frames, never the SQL and values its message carries', async () => {
    const email = `leak-check-${randomUUID()}@example.com`;
    const insert = 'insert into users (id, email, email_skeleton, password_hash, role, created_at, updated_at) values (?, ?, ?, ?, ?, now(), now())';
    const em = server.gatehouse.database.orm.em.fork();
    await em.getConnection().execute(insert, [randomUUID(), email, email, 'not-a-real-hash', 'USER']);
    const error = await em
      .getConnection()
      .execute(insert, [randomUUID(), email, `${email}-other`, 'secret-hash-value', 'USER'])
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    // MikroORM writes the values into the statement, and the driver's message quotes it whole.
    expect(String((error as Error).message)).toContain('secret-hash-value');
    const printed = failureText(error);
    expect(printed).toContain('23505');
    expect(printed).not.toContain(email);
    expect(printed).not.toContain('secret-hash-value');
    expect(printed).not.toMatch(/insert into/i);
  });
});
