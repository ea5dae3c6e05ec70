import type { GatehouseError } from '../../client';
import { Session } from '../../src/sessions/session.entity';
import { factories, expectTokens } from '../helpers/factories';
import { failure } from '../helpers/failure';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/test-server';

// changePassword checks the current password with bcrypt outside its transaction, then re-checks the hash
// under the row lock. Each test holds the real bcrypt comparison at a gate, so the moment "while the
// password is being checked" is an exact point, not a timing guess.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const { em, signUp } = factories(() => server);
const pool = () => server.gatehouse.database.orm.em.getConnection().getKnex().client.pool as { numUsed(): number };
const change = (accessToken: string, newPassword: string) =>
  server.sdk(accessToken).ChangePassword({ input: { currentPassword: PASSWORD, newPassword } });
const liveSessions = (userId: string) => em().find(Session, { user: userId, revokedAt: null });

/** Polls (bounded) until `condition` holds. */
const until = async (condition: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 400; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
};

/** `promise`, or a failure after `ms`: a wait that would deadlock without the fix fails instead. */
const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`not done in ${ms} ms: ${what}`)), ms).unref())]);

/** Holds the next `calls` password comparisons (the real ones, run once released); later ones pass. */
function holdPasswordChecks(calls: number) {
  const hasher = server.gatehouse.services.passwords;
  const verify = hasher.verify.bind(hasher);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let held = 0;
  const spy = jest.spyOn(hasher, 'verify').mockImplementation(async (password, stored) => {
    if (held >= calls) return verify(password, stored);
    held++;
    await gate;
    return verify(password, stored);
  });
  return {
    held: () => held,
    release() {
      open();
      spy.mockRestore();
    },
  };
}

it('holds no database connection, transaction or lock while bcrypt checks the current password', async () => {
  const poolMax = server.config.databasePoolMax;
  const users = [];
  for (let i = 0; i < poolMax; i++) users.push(await signUp());
  const bystander = await signUp();
  const checks = holdPasswordChecks(poolMax);
  // As many changes as the pool has connections, all inside bcrypt at once.
  const changes = users.map((user) => change(user.accessToken, 'a brand new passphrase'));
  try {
    await until(() => checks.held() === poolMax, `${poolMax} password checks under way`);
    expect(pool().numUsed()).toBe(0);
    if (process.env.DATABASE_URL) {
      const [{ open }] = await em()
        .getConnection()
        .execute<{ open: number }[]>(
          'select count(*)::int as open from pg_stat_activity where datname = current_database() and xact_start is not null and pid <> pg_backend_pid()',
        );
      expect(open).toBe(0);
    }
    // A refresh needs a connection of the pool and gets one.
    const { refresh } = await within(server.sdk().Refresh({ refreshToken: bystander.refreshToken! }), 10_000, 'a refresh');
    expect(refresh.accessToken).toBeTruthy();
  } finally {
    checks.release();
  }
  for (const result of await Promise.allSettled(changes)) expect(result.status).toBe('fulfilled');
});

it('refuses a change when another one commits while its current password is being checked, and opens no session', async () => {
  const user = await signUp();
  const other = expectTokens((await server.sdk().Login({ input: { email: user.email, password: PASSWORD } })).login);
  const checks = holdPasswordChecks(1);
  const first = failure(change(user.accessToken, 'first new passphrase'));
  let second;
  try {
    await until(() => checks.held() === 1, 'the first change checking the password');
    // The other change checks the same current password, commits, and ends every session.
    second = (await within(change(other.accessToken, 'second new passphrase'), 10_000, 'the second change')).changePassword;
  } finally {
    checks.release();
  }
  // Answered as a wrong current password: the password it checked was right, and is no longer.
  expect((await first).errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
  expect(await liveSessions(user.user.id)).toHaveLength(1);
  expect((await server.sdk(second.accessToken).Me()).me.id).toBe(user.user.id);
  const login = (password: string) => server.sdk().Login({ input: { email: user.email, password } });
  expect((await failure(login('first new passphrase'))).reason).toBe('INVALID_CREDENTIALS');
  expect(expectTokens((await login('second new passphrase')).login).accessToken).toBeTruthy();
});

it('refuses a change to an account disabled while its current password is being checked', async () => {
  const user = await signUp();
  const checks = holdPasswordChecks(1);
  let attempt: Promise<GatehouseError>;
  try {
    attempt = failure(change(user.accessToken, 'a brand new passphrase'));
    await until(() => checks.held() === 1, 'the change checking the password');
    await within(em().getConnection().execute('update users set disabled_at = now() where id = ?', [user.user.id]), 10_000, 'the disable');
  } finally {
    checks.release();
  }
  expect((await attempt).reason).toBe('USER_DISABLED');
  // Only the session of the sign-up (the bare update above ends none); the password is unchanged.
  expect(await liveSessions(user.user.id)).toHaveLength(1);
  await expect(server.sdk().Login({ input: { email: user.email, password: PASSWORD } })).rejects.toMatchObject({ reason: 'USER_DISABLED' });
});

it('goes through when the same password was re-hashed while it was being checked (a login upgrading BCRYPT_COST)', async () => {
  const user = await signUp();
  const checks = holdPasswordChecks(1);
  let attempt: ReturnType<typeof change>;
  try {
    attempt = change(user.accessToken, 'a brand new passphrase');
    await until(() => checks.held() === 1, 'the change checking the password');
    // What a login's rehash writes: another hash of the very same password.
    const rehashed = await server.gatehouse.services.passwords.hash(PASSWORD);
    await within(em().getConnection().execute('update users set password_hash = ? where id = ?', [rehashed, user.user.id]), 10_000, 'the rehash');
  } finally {
    checks.release();
  }
  expect((await attempt).changePassword.accessToken).toBeTruthy();
  expect(
    expectTokens((await server.sdk().Login({ input: { email: user.email, password: 'a brand new passphrase' } })).login).accessToken,
  ).toBeTruthy();
});
