import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { emailSkeleton } from '../../src/users/lookalike';
import { User } from '../../src/users/user.entity';
import { factories } from '../helpers/factories';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const REGISTER = 'mutation ($input: RegisterInput!) { register(input: $input) { user { email } } }';
const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { ... on AuthPayload { user { email } } } }';
const register = async (email: string) => (await server.post({ query: REGISTER, variables: { input: { email, password: PASSWORD } } })).body;
const login = async (email: string) => (await server.post({ query: LOGIN, variables: { input: { email, password: PASSWORD } } })).body;
const { em } = factories(() => server);
/** Digits only, so that the tag is of no script and look-alikes stay single-script. */
const tag = () => String(randomBytes(4).readUInt32BE());

describe('look-alike emails (UTS #39)', () => {
  it('refuses a Cyrillic а inside a Latin address, naming the rule, and creates nothing', async () => {
    const n = tag();
    expect((await register(`paypal-${n}@example.test`)).errors).toBeUndefined();
    const body = await register(`pаypal-${n}@example.test`);
    expect(body.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/must not mix scripts/), extensions: { code: 'BAD_USER_INPUT', field: 'email' } }),
    ]);
    expect(await em().count(User, { email: `pаypal-${n}@example.test` })).toBe(0);
  });

  it('answers EMAIL_TAKEN to a whole-script look-alike, in any case, without naming the existing address', async () => {
    const n = tag();
    expect((await register(`peace-${n}@example.test`)).errors).toBeUndefined();
    for (const lookalike of [`реасе-${n}@example.test`, `РЕАСЕ-${n}@EXAMPLE.TEST`]) {
      const body = await register(lookalike);
      expect(body.errors).toEqual([
        {
          message: 'An account with this email, or one that looks like it, already exists.',
          path: ['register'],
          locations: [expect.anything()],
          extensions: { code: 'EMAIL_TAKEN', field: 'email' },
        },
      ]);
    }
    expect(await em().count(User, { email: { $like: `%-${n}@%` } })).toBe(1);
  });

  it('counts digit one as letter l and rn as m, as UTS #39 does; digit zero stays apart from letter o', async () => {
    const n = tag();
    expect((await register(`mall-${n}@example.test`)).errors).toBeUndefined();
    for (const lookalike of [`ma11-${n}@example.test`, `rnall-${n}@example.test`]) {
      expect((await register(lookalike)).errors?.[0].extensions?.code).toBe('EMAIL_TAKEN');
    }
    expect((await register(`go-${n}@example.test`)).errors).toBeUndefined();
    expect((await register(`g0-${n}@example.test`)).errors).toBeUndefined();
  });

  it('registers ordinary non-Latin addresses and IDN domains, which then log in as typed', async () => {
    const n = tag();
    for (const email of [
      `σωκράτης-${n}@example.test`,
      `иван.петров-${n}@example.test`,
      `user-${n}@пример.рф`,
      `müller-${n}@münchen.de`,
      `山田たろう-${n}@example.jp`,
    ]) {
      const body = await register(email);
      expect(body.errors).toBeUndefined();
      expect((await login(email)).data).toEqual({ login: { user: { email } } });
    }
  });

  it('decides a race of look-alikes with the unique skeleton index: one account, every other EMAIL_TAKEN', async () => {
    const n = tag();
    const variants = ['mall', 'ma1l', 'mal1', 'ma11', 'rnall', 'rna1l', 'rnal1', 'rna11'].map((local) => `${local}-${n}-race@example.test`);
    const bodies = await Promise.all(variants.map(register));
    expect(bodies.filter((b) => !b.errors)).toHaveLength(1);
    expect(bodies.filter((b) => b.errors).map((b) => b.errors?.[0].extensions?.code)).toEqual(Array(7).fill('EMAIL_TAKEN'));
    expect(await em().count(User, { email: { $in: variants } })).toBe(1);
  });

  it('stores the skeleton on every insert, so the index holds even past createAccount', async () => {
    const n = tag();
    expect((await register(`peace-${n}@example.test`)).errors).toBeUndefined();
    const fork = em();
    fork.create(User, { email: `реасе-${n}@example.test`, passwordHash: 'x' });
    await expect(fork.flush()).rejects.toBeInstanceOf(UniqueConstraintViolationException);
  });
});

describe('the migration that brings the skeleton', () => {
  const MIGRATION = 'Migration20261201090000';
  const sql = (query: string, params: unknown[] = []) => em().getConnection().execute(query, params);
  const skeletonOf = async (email: string) => (await sql('select email_skeleton from users where email = ?', [email]))[0]?.email_skeleton;

  it('backfills existing accounts oldest first; a newer look-alike keeps a null skeleton and the deployment goes on', async () => {
    const migrator = server.gatehouse.database.orm.getMigrator();
    await migrator.down({ to: MIGRATION });
    const n = tag();
    const insert = (email: string, createdAt: string) =>
      sql(`insert into users (id, email, password_hash, role, created_at, updated_at) values (gen_random_uuid(), ?, 'x', 'USER', ?, now())`, [
        email,
        createdAt,
      ]);
    // Two look-alikes inside the first batch of 1000, and two across batches (1500 accounts between).
    await insert(`mall-${n}@example.test`, '2019-01-01T00:00:00.000001Z');
    await insert(`rnall-${n}@example.test`, '2019-01-02T00:00:00Z');
    await insert(`lol-${n}@example.test`, '2019-01-03T00:00:00.123456Z');
    await sql(
      `insert into users (id, email, password_hash, role, created_at, updated_at)
       select gen_random_uuid(), 'bulk-' || i || '-${n}@example.test', 'x', 'USER', timestamptz '2020-01-01' + i * interval '1 second', now()
       from generate_series(1, 1500) as i`,
    );
    await insert(`1o1-${n}@example.test`, '2021-01-01T00:00:00Z');

    await migrator.up();
    expect(await migrator.getPendingMigrations()).toEqual([]);
    expect(await skeletonOf(`mall-${n}@example.test`)).toBe(emailSkeleton(`rnall-${n}@example.test`));
    expect(await skeletonOf(`rnall-${n}@example.test`)).toBeNull();
    expect(await skeletonOf(`lol-${n}@example.test`)).toBe(emailSkeleton(`lol-${n}@example.test`));
    expect(await skeletonOf(`1o1-${n}@example.test`)).toBeNull();
    expect(await sql(`select count(*)::int as c from users where email like 'bulk-%-${n}@example.test' and email_skeleton is not null`)).toEqual([
      { c: 1500 },
    ]);
    // Every account that was there before has a skeleton, unless it looks like an older one.
    expect(await sql('select count(*)::int as c from users where email_skeleton is null')).toEqual([{ c: 2 }]);
    // Neither look-alike pair leaves room for a third.
    expect((await register(`lo1-${n}@example.test`)).errors?.[0].extensions?.code).toBe('EMAIL_TAKEN');
    expect((await register(`rna11-${n}@example.test`)).errors?.[0].extensions?.code).toBe('EMAIL_TAKEN');
  });
});
