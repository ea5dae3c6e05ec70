import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { startServerProcess } from '../helpers/server-process';
import { PASSWORD, uniqueEmail } from '../helpers/test-server';
import { expectTokens } from '../helpers/factories';

// The real entry point (src/main.ts) in its own process, as `npm start` runs it: SIGTERM lets an
// in-flight login finish, closes the embedded database and exits 0; connections with nothing in flight do
// not hold it up.

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
    expect(expectTokens((await login).login).accessToken).toBeTruthy();
    expect(await exited).toBe(0);
    expect(existsSync(join(dataDir, '.s.PGSQL.5432'))).toBe(false);
    expect(server.output()).toMatch(/shutting down/);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver output:\n${server.output()}`);
  } finally {
    await server.stop('SIGKILL');
  }
}, 90_000);

/** A raw connection to `url` that has sent `text` (possibly nothing, possibly part of a request). */
async function connection(url: string, text: string): Promise<Socket> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(text);
  return socket;
}

it('closes connections with no request in flight at once, so SIGTERM does not wait SHUTDOWN_GRACE for them', async () => {
  const server = await startServerProcess({
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(48).toString('base64'),
    BCRYPT_COST: '12',
    DATA_DIR: await mkdtemp(join(dataDir, 'idle-')),
    SHUTDOWN_GRACE: '60s',
  });
  const sockets: Socket[] = [];
  try {
    const email = uniqueEmail();
    await server.sdk().Register({ input: { email, password: PASSWORD } });
    // Idle after a response (keep-alive), connected without a request yet, and part-way through headers.
    const idle = await connection(server.url, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise((resolve) => idle.once('data', resolve));
    sockets.push(idle, await connection(server.url, ''), await connection(server.url, 'POST /graphql HTTP/1.1\r\nHost: lo'));

    const login = server.sdk().Login({ input: { email, password: PASSWORD } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Killed (exit code null) if still running after 15 s: a bound well under the 60-s grace period.
    const exited = server.stop('SIGTERM', 15_000);
    expect(expectTokens((await login).login).accessToken).toBeTruthy();
    expect(await exited).toBe(0);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver output:\n${server.output()}`);
  } finally {
    sockets.forEach((socket) => socket.destroy());
    await server.stop('SIGKILL');
  }
}, 90_000);
