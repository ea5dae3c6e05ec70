import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrationsList } from '../../migrations';
import { runCli } from '../../src/cli';
import { Role } from '../../src/users/role';
import { User } from '../../src/users/user.entity';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

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
    expect((await server.sdk().Login({ input: { email, password: PASSWORD } })).login.user.email).toBe(email);
  });

  it('disables an account, ending its sessions at once, and enables it again', async () => {
    const email = uniqueEmail('cli-disabled');
    const { register } = await server.sdk().Register({ input: { email, password: PASSWORD } });
    expect((await cli(['disable', email])).output).toMatch(/: USER, disabled\.$/);
    expect((await server.post({ query: '{ me { id } }' }, { authorization: `Bearer ${register.accessToken}` })).body.errors?.[0].extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    await expect(server.sdk().Login({ input: { email, password: PASSWORD } })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await cli(['enable', email])).output).toMatch(/: USER\.$/);
    expect((await server.sdk().Login({ input: { email, password: PASSWORD } })).login.user.email).toBe(email);
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
    expect((await cli(['purge'])).output).toMatch(/^Deleted \d+ revocations, \d+ sessions and \d+ security events\.$/);
  });
});
