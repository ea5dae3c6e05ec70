import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli';
import { Role } from '../../src/users/role';
import { User } from '../../src/users/user.entity';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';
import { expectTokens } from '../helpers/factories';

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

describe('the build', () => {
  it('deletes compiled files whose source is gone, which could shadow their replacement', () => {
    // What src/config.ts left in dist/ when it became src/config/: require('../config') found the old file.
    const stale = join(root, 'dist/src/removed-module.js');
    mkdirSync(join(root, 'dist/src'), { recursive: true });
    writeFileSync(stale, 'module.exports = {};\n');
    execFileSync(process.execPath, [join(root, 'scripts/build.js')], { cwd: root, stdio: 'ignore', env: { ...process.env, NODE_ENV: 'production' } });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(root, 'dist/src/main.js'))).toBe(true);
  }, 180_000);
});

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

describe('the CLI, beside the running server', () => {
  const cli = async (argv: string[], input = '') => {
    const lines: string[] = [];
    const io = {
      log: (line: string) => void lines.push(line),
      error: (line: string) => void lines.push(line),
      readInput: async () => input,
    };
    const code = await runCli(argv, { ...server.env, LOG_LEVEL: 'silent' }, io);
    return { code, output: lines.join('\n') };
  };
  const role = (output: string) => /: (ADMIN|USER)/.exec(output)?.[1];

  it('promotes a user to ADMIN, effective on their next request with the same token; never demotes the last one', async () => {
    const email = uniqueEmail('first-admin');
    const { register } = await server.sdk().Register({ input: { email, password: PASSWORD } });
    const sdk = server.sdk(register.accessToken);
    await expect(sdk.User({ id: register.user.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const promoted = await cli(['promote', email.toUpperCase()]);
    expect(promoted).toMatchObject({ code: 0, output: expect.stringContaining(`${email} (${register.user.id}): ADMIN`) });
    expect((await sdk.User({ id: register.user.id })).user?.role).toBe('ADMIN');

    await server.gatehouse.database.orm.em.fork().nativeUpdate(User, { role: Role.ADMIN, id: { $ne: register.user.id } }, { role: Role.USER });
    expect(await cli(['demote', email])).toEqual({ code: 1, output: 'At least one enabled ADMIN must remain.' });
    const second = uniqueEmail('second-admin');
    expect(role((await cli(['create-user', second, '--admin'], `${PASSWORD} two\n`)).output)).toBe('ADMIN');
    expect(role((await cli(['demote', email])).output)).toBe('USER');
    expect((await sdk.Me()).me.role).toBe('USER');
  });

  it('creates a user whose password passes the policy, and who can log in with it', async () => {
    const email = uniqueEmail('cli-created');
    expect(await cli(['create-user', email], 'password')).toMatchObject({ code: 1, output: expect.stringMatching(/^Password refused/) });
    const created = await cli(['create-user', email], `${PASSWORD}\n`);
    expect(created).toMatchObject({ code: 0, output: expect.stringMatching(new RegExp(`^Created ${email} \\(.+\\): USER\\.$`)) });
    expect((await cli(['create-user', email], `${PASSWORD}\n`)).code).toBe(1);
    expect(expectTokens((await server.sdk().Login({ input: { email, password: PASSWORD } })).login).user.email).toBe(email);
  });

  it('disables an account, ending its sessions at once, and enables it again', async () => {
    const email = uniqueEmail('cli-disabled');
    const { register } = await server.sdk().Register({ input: { email, password: PASSWORD } });
    expect((await cli(['disable', email])).output).toMatch(/: USER, disabled\.$/);
    expect(
      (await server.post({ query: '{ me { id } }' }, { authorization: `Bearer ${register.accessToken}` })).body.errors?.[0].extensions?.code,
    ).toBe('UNAUTHENTICATED');
    await expect(server.sdk().Login({ input: { email, password: PASSWORD } })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await cli(['enable', email])).output).toMatch(/: USER\.$/);
    expect(expectTokens((await server.sdk().Login({ input: { email, password: PASSWORD } })).login).user.email).toBe(email);
  });

  it('shows the configuration with every secret masked', async () => {
    const env = { ...server.env, METRICS_TOKEN: 'metrics-token-0123456789', DATABASE_URL: 'postgresql://gate:hunter2-db@db.internal:5432/gatehouse' };
    const lines: string[] = [];
    expect(await runCli(['show-config'], env, { log: (line) => void lines.push(line), error: (line) => void lines.push(line) })).toBe(0);
    const output = lines.join('\n');
    expect(JSON.parse(output)).toMatchObject({ bcryptCost: 4, jwt: { secret: '********' }, metrics: { token: '********' } });
    for (const secret of [server.env.JWT_SECRET, 'metrics-token-0123456789', 'hunter2-db']) expect(output).not.toContain(secret);
    expect(output).toContain('db.internal');
  });

  it('says so when there is no such user, and on unknown commands', async () => {
    expect(await cli(['promote', 'nobody@example.com'])).toEqual({ code: 1, output: 'No user with email nobody@example.com.' });
    expect((await cli(['explode'])).code).toBe(2);
    expect((await cli(['promote'])).code).toBe(2);
  });

  it('migrates (nothing pending) and purges', async () => {
    expect(await cli(['migrate'])).toEqual({ code: 0, output: 'No pending migrations.' });
    expect((await cli(['purge'])).output).toMatch(/^Deleted \d+ revocations, \d+ sessions, \d+ security events and \d+ outbox mails\.$/);
  });
});

const quiet = { log: () => undefined, error: () => undefined };

describe('MIGRATE_ON_START=false', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ MIGRATE_ON_START: 'false' });
  });
  afterAll(() => server?.close());

  it('is alive but not ready until the migrations are applied from the CLI, then ready', async () => {
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    const before = await fetch(`${server.baseUrl}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ status: 'migrations pending' });

    expect(await runCli(['migrate'], { ...server.env, LOG_LEVEL: 'silent' }, quiet)).toBe(0);
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
    expect(register.accessToken).toBeTruthy();
  });
});
