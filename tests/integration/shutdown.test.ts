import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORD, uniqueEmail } from '../helpers/test-server';

// The real entry point (src/main.ts) in its own process, as `npm start` runs it: SIGTERM lets an
// in-flight login finish, closes the embedded database and exits 0.

const root = join(__dirname, '../..');
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gh-shutdown-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

it('finishes in-flight requests, closes the database and exits 0 on SIGTERM', async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [join(root, 'node_modules/ts-node/dist/bin.js'), '--transpile-only', join(root, 'src/main.ts')], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(48).toString('base64'),
      BCRYPT_COST: '12',
      DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200 && !(await fetch(`${url}/readyz`).catch(() => undefined))?.ok; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const graphql = (query: string, variables: object) =>
      fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const email = uniqueEmail();
    await graphql('mutation ($input: RegisterInput!) { register(input: $input) { accessToken } }', { input: { email, password: PASSWORD } });

    // A login at cost 12 takes a few hundred milliseconds; the signal arrives while it runs.
    const login = graphql('mutation ($input: LoginInput!) { login(input: $input) { accessToken } }', { input: { email, password: PASSWORD } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGTERM');
    const response = await login;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { login: { accessToken: string } } }).data.login.accessToken).toBeTruthy();
    expect(await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running after 20 s'), 20_000))])).toBe(0);
    expect(existsSync(join(dataDir, '.s.PGSQL.5432'))).toBe(false);
    expect(output).toMatch(/shutting down/);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver output:\n${output}`);
  } finally {
    child.kill('SIGKILL');
  }
}, 90_000);
