import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrationsList } from '../../migrations';
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
