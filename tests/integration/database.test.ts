import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { migrationsList } from '../../migrations';
import { RevokedToken } from '../../src/tokens/revoked-token.entity';
import { factories } from '../helpers/factories';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ PURGE_INTERVAL: '1s' });
});
afterAll(() => server?.close());

const { em } = factories(() => server);

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

describe('revoked-token purge', () => {
  const row = (expiresAt: Date) => ({ jti: randomUUID(), userId: randomUUID(), expiresAt, revokedAt: new Date() });

  it('deletes, in batches, only revocations past exp plus the clock tolerance', async () => {
    const now = new Date();
    const tolerance = server.config.jwt.clockToleranceSeconds * 1000;
    const expired = Array.from({ length: 2500 }, () => row(new Date(now.getTime() - tolerance - 60_000)));
    const withinTolerance = Array.from({ length: 3 }, () => row(new Date(now.getTime() - tolerance / 2)));
    const live = Array.from({ length: 3 }, () => row(new Date(now.getTime() + 600_000)));
    await em().insertMany(RevokedToken, [...expired, ...withinTolerance, ...live]);

    const deleted = await server.gatehouse.services.revocations.purgeExpired(em(), 1000, now);
    expect(deleted).toBeGreaterThanOrEqual(2500);
    const left = await em().find(RevokedToken, { jti: { $in: [...expired, ...withinTolerance, ...live].map((r) => r.jti) } });
    expect(left.map((r) => r.jti).sort()).toEqual([...withinTolerance, ...live].map((r) => r.jti).sort());
  });

  it('runs on its schedule (PURGE_INTERVAL)', async () => {
    const stale = row(new Date(Date.now() - 3_600_000));
    await em().insert(RevokedToken, stale);
    for (let i = 0; i < 50 && (await em().count(RevokedToken, { jti: stale.jti })) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await em().count(RevokedToken, { jti: stale.jti })).toBe(0);
  });

  it('keeps a logged-out token revoked through purges', async () => {
    const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
    await server.sdk(register.accessToken).Logout();
    await server.gatehouse.services.revocations.purgeExpired(em());
    const { body } = await server.post({ query: '{ me { id } }' }, { authorization: `Bearer ${register.accessToken}` });
    expect(body.errors?.[0].extensions?.reason).toBe('TOKEN_REVOKED');
  });
});
