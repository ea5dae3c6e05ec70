import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { runCli } from '../../src/cli';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

const root = join(__dirname, '../..');
const { buildIfStale } = require(join(root, 'scripts/build.js')) as { buildIfStale(): boolean };

let server: TestServer;
beforeAll(async () => {
  // What the bin does on its first run, done once here so each command below starts from a current dist/.
  buildIfStale();
  server = await startTestServer();
}, 180_000);
afterAll(() => server?.close());

/** `npx gatehouse …` without npx: the bin as a process of its own, with the server's environment. */
function gatehouse(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin/gatehouse.js'), ...args],
      { cwd: root, env: { PATH: process.env.PATH, ...server.env, LOG_LEVEL: 'silent', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('show-config', () => {
  it("prints the server's configuration, not the CLI's own connection settings", async () => {
    const lines: string[] = [];
    const env = { ...server.env, DATABASE_POOL_MAX: '7', LOG_LEVEL: 'silent' };
    expect(await runCli(['show-config'], env, { log: (line) => void lines.push(line), error: (line) => void lines.push(line) })).toBe(0);
    expect(JSON.parse(lines.join('\n'))).toMatchObject({ databasePoolMax: 7, migrateOnStart: true });
  });
});

describe('the gatehouse bin', () => {
  it('prints the configuration, secrets masked', async () => {
    const { code, stdout } = await gatehouse(['show-config'], { DATABASE_POOL_MAX: '7', MIGRATE_ON_START: 'false' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ databasePoolMax: 7, migrateOnStart: false, jwt: { secret: '********' } });
    expect(stdout).not.toContain(server.env.JWT_SECRET);
  });

  it('changes the database beside the running server: promote', async () => {
    const email = uniqueEmail('bin-admin');
    const { register } = await server.sdk().Register({ input: { email, password: PASSWORD } });
    const { code, stdout } = await gatehouse(['promote', email]);
    expect({ code, stdout: stdout.trim() }).toEqual({ code: 0, stdout: `${email} (${register.user.id}): ADMIN.` });
    expect((await server.sdk(register.accessToken).Me()).me.role).toBe('ADMIN');
  });

  it('migrates (nothing pending)', async () => {
    expect(await gatehouse(['migrate'])).toMatchObject({ code: 0, stdout: 'No pending migrations.\n' });
  });

  it('answers usage errors with exit code 2 and the npx usage', async () => {
    const { code, stderr } = await gatehouse(['explode']);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: npx gatehouse <command>');
  });
});
