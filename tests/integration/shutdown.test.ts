import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../helpers/server-process';
import { PASSWORD, uniqueEmail } from '../helpers/test-server';

// The real entry point (src/main.ts) in its own process, as `npm start` runs it: SIGTERM lets an
// in-flight login finish, closes the embedded database and exits 0.

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gh-shutdown-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

it('finishes in-flight requests, closes the database and exits 0 on SIGTERM', async () => {
  const server = await startServerProcess({
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(48).toString('base64'),
    BCRYPT_COST: '12',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
  });
  try {
    const email = uniqueEmail();
    await server.sdk().Register({ input: { email, password: PASSWORD } });

    // A login at cost 12 takes a few hundred milliseconds; the signal arrives while it runs.
    const login = server.sdk().Login({ input: { email, password: PASSWORD } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const exited = server.stop('SIGTERM', 20_000);
    expect((await login).login.accessToken).toBeTruthy();
    expect(await exited).toBe(0);
    expect(existsSync(join(dataDir, '.s.PGSQL.5432'))).toBe(false);
    expect(server.output()).toMatch(/shutting down/);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver output:\n${server.output()}`);
  } finally {
    await server.stop('SIGKILL');
  }
}, 90_000);
