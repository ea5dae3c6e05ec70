import { EmailToken, LinkPurpose } from '../../src/recovery/email-token.entity';
import { Session } from '../../src/sessions/session.entity';
import { User } from '../../src/users/user.entity';
import { factories } from '../helpers/factories';
import { failure } from '../helpers/failure';
import { openMailbox, tokenOf, type Mailbox, startServerWithMailbox } from '../helpers/mailbox';
import { PASSWORD, uniqueEmail, type TestServer } from '../helpers/test-server';

// Password reset through the typed SDK, on a real server and database: the link from the mail, what it
// ends, what it refuses, and that a request tells nothing about whether an address has an account.

let server: TestServer;
let mailbox: Mailbox;
beforeAll(async () => {
  server = await startServerWithMailbox({ RATE_LIMIT_MAIL_ADDRESS: '100/1h', RATE_LIMIT_ACCOUNT_FAILURES: '3/1h' });
  mailbox = openMailbox(server);
});
afterAll(() => server?.close());

const { em, signUp, logIn } = factories(() => server);
const NEW_PASSWORD = 'a brand new reset passphrase';
const sdk = () => server.sdk();

async function resetLink(email: string) {
  expect(await sdk().RequestPasswordReset({ email })).toEqual({ requestPasswordReset: true });
  const mail = await mailbox.nextMail(email);
  expect(mail.template).toBe('resetPassword');
  return mail;
}

describe('resetPassword', () => {
  it('sets the password from the mailed link, ends every session at once, and works once', async () => {
    const user = await signUp('reset');
    const other = await logIn(user.email);
    const mail = await resetLink(user.email);
    expect(mail.link).toMatch(new RegExp(`^${server.config.recovery.appUrl}/reset-password#token=[A-Za-z0-9_-]{43}$`));
    const token = tokenOf(mail.link);

    expect(await sdk().ResetPassword({ input: { token, newPassword: NEW_PASSWORD } })).toEqual({ resetPassword: true });
    // Both sessions' access tokens are refused at once, and so are their refresh tokens.
    for (const accessToken of [user.token, other.token]) {
      expect(await failure(server.sdk(accessToken).Me())).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
    }
    expect(await failure(sdk().Refresh({ refreshToken: other.refreshToken }))).toMatchObject({ reason: 'SESSION_REVOKED' });
    expect(await em().count(Session, { user: user.id, revokedAt: null })).toBe(0);
    // The old password fails, the new one works; the link proved the mailbox.
    expect(await failure(logIn(user.email, PASSWORD))).toMatchObject({ reason: 'INVALID_CREDENTIALS' });
    expect((await logIn(user.email, NEW_PASSWORD)).user.emailVerifiedAt).toEqual(expect.any(String));
    // The link works once.
    const again = await failure(sdk().ResetPassword({ input: { token, newPassword: 'yet another passphrase' } }));
    expect(again).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'TOKEN_INVALID',
      message: 'This link is invalid or was already used. Request a new one.',
    });
    expect(again.errors[0].extensions?.field).toBe('token');
    // The notice went to the account's address, and the event was recorded.
    expect((await mailbox.nextMail(user.email)).template).toBe('passwordReset');
    const { myEvents } = await server.sdk((await logIn(user.email, NEW_PASSWORD)).token).MyEvents({});
    expect(myEvents.edges.map((edge) => edge.node.type)).toEqual(expect.arrayContaining(['PASSWORD_RESET', 'PASSWORD_RESET_REQUESTED']));
  });

  it('a newer request supersedes the older link', async () => {
    const user = await signUp('supersede');
    const first = tokenOf((await resetLink(user.email)).link);
    const second = tokenOf((await resetLink(user.email)).link);
    expect(await failure(sdk().ResetPassword({ input: { token: first, newPassword: NEW_PASSWORD } }))).toMatchObject({ reason: 'TOKEN_INVALID' });
    expect(await sdk().ResetPassword({ input: { token: second, newPassword: NEW_PASSWORD } })).toEqual({ resetPassword: true });
  });

  it('applies the password policy to newPassword without spending the link', async () => {
    const user = await signUp('policy');
    const token = tokenOf((await resetLink(user.email)).link);
    const weak = await failure(sdk().ResetPassword({ input: { token, newPassword: 'short' } }));
    expect(weak).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(weak.errors[0].extensions?.field).toBe('newPassword');
    const withEmail = await failure(sdk().ResetPassword({ input: { token, newPassword: `my ${user.email} password` } }));
    expect(withEmail.errors[0].extensions?.field).toBe('newPassword');
    expect(await sdk().ResetPassword({ input: { token, newPassword: NEW_PASSWORD } })).toEqual({ resetPassword: true });
  });

  it('an expired link says so; a malformed one is invalid without a database round trip', async () => {
    const user = await signUp('expired');
    const token = tokenOf((await resetLink(user.email)).link);
    await em().nativeUpdate(
      EmailToken,
      { user: user.id, purpose: LinkPurpose.RESET_PASSWORD, usedAt: null },
      { expiresAt: new Date(Date.now() - 1000) },
    );
    const expired = await failure(sdk().ResetPassword({ input: { token, newPassword: NEW_PASSWORD } }));
    expect(expired).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOKEN_EXPIRED', message: 'This link has expired. Request a new one.' });
    await logIn(user.email, PASSWORD);

    const execute = jest.spyOn(server.gatehouse.database.orm.em.getConnection(), 'execute');
    // The mail dispatcher polls the outbox on the same connection whenever it likes: its statements are not the requests'.
    const requests = () => execute.mock.calls.filter(([sql]) => !(typeof sql === 'string' && sql.includes('mail_outbox')));
    try {
      // The spy sees the lookup of a well-formed token...
      await failure(sdk().ResetPassword({ input: { token: 'B'.repeat(43), newPassword: NEW_PASSWORD } }));
      expect(requests().length).toBeGreaterThan(0);
      execute.mockClear();
      // ...and none of a malformed one.
      for (const bad of ['', 'x', `${token}x`, token.replace(/.$/, '!'), 'a'.repeat(10_000), '\u0000'.repeat(43)]) {
        const refused = await failure(sdk().ResetPassword({ input: { token: bad, newPassword: NEW_PASSWORD } }));
        expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOKEN_INVALID' });
      }
      expect(requests()).toEqual([]);
    } finally {
      execute.mockRestore();
    }
  });

  it('a link of another kind, and an unknown one, are invalid', async () => {
    const user = await signUp('purpose');
    await server.sdk(user.token).RequestEmailVerification();
    const verifyToken = tokenOf((await mailbox.nextMail(user.email)).link);
    expect(await failure(sdk().ResetPassword({ input: { token: verifyToken, newPassword: NEW_PASSWORD } }))).toMatchObject({
      reason: 'TOKEN_INVALID',
    });
    const unknown = 'A'.repeat(43);
    expect(await failure(sdk().ResetPassword({ input: { token: unknown, newPassword: NEW_PASSWORD } }))).toMatchObject({ reason: 'TOKEN_INVALID' });
  });

  it('a disabled account gets no mail, and its earlier link stops working', async () => {
    const user = await signUp('disabled');
    const token = tokenOf((await resetLink(user.email)).link);
    await em().nativeUpdate(User, { id: user.id }, { disabledAt: new Date() });
    expect(await failure(sdk().ResetPassword({ input: { token, newPassword: NEW_PASSWORD } }))).toMatchObject({ reason: 'TOKEN_INVALID' });
    const before = (await mailbox.all(user.email)).length;
    expect(await sdk().RequestPasswordReset({ email: user.email })).toEqual({ requestPasswordReset: true });
    expect(await mailbox.all(user.email)).toHaveLength(before);
  });

  it('clears the failed-password count of the account', async () => {
    const user = await signUp('lockout');
    for (let i = 0; i < 3; i++) await failure(logIn(user.email, 'wrong password'));
    expect(await failure(logIn(user.email))).toMatchObject({ code: 'RATE_LIMITED' });
    const token = tokenOf((await resetLink(user.email)).link);
    await sdk().ResetPassword({ input: { token, newPassword: NEW_PASSWORD } });
    expect((await logIn(user.email, NEW_PASSWORD)).user.email).toBe(user.email);
  });

  it('two concurrent uses of one link: exactly one succeeds', async () => {
    const user = await signUp('race');
    const token = tokenOf((await resetLink(user.email)).link);
    const attempts = await Promise.allSettled(
      ['first concurrent passphrase', 'second concurrent passphrase', 'third concurrent passphrase'].map((newPassword) =>
        sdk().ResetPassword({ input: { token, newPassword } }),
      ),
    );
    const succeeded = attempts.filter((attempt) => attempt.status === 'fulfilled');
    const refused = attempts.flatMap((attempt) => (attempt.status === 'rejected' ? [attempt.reason as { reason?: string }] : []));
    expect(succeeded).toHaveLength(1);
    expect(refused.map((error) => error.reason)).toEqual(['TOKEN_INVALID', 'TOKEN_INVALID']);
    expect(await em().count(EmailToken, { user: user.id, usedAt: null })).toBe(0);
  });
});

describe('requestPasswordReset tells nothing about accounts', () => {
  it('answers true for a known, an unknown and a disabled address, and mails only the known one', async () => {
    const known = await signUp('known');
    const disabled = await signUp('off');
    await em().nativeUpdate(User, { id: disabled.id }, { disabledAt: new Date() });
    const unknown = uniqueEmail('nobody');
    for (const email of [known.email, unknown, disabled.email]) {
      expect(await sdk().RequestPasswordReset({ email })).toEqual({ requestPasswordReset: true });
    }
    expect(await mailbox.all(unknown)).toEqual([]);
    expect(await mailbox.all(disabled.email)).toEqual([]);
    expect((await mailbox.nextMail(known.email)).template).toBe('resetPassword');
  });

  it('a malformed address is BAD_USER_INPUT on email, as its syntax alone says', async () => {
    const refused = await failure(sdk().RequestPasswordReset({ email: 'not-an-address' }));
    expect(refused).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(refused.errors[0].extensions?.field).toBe('email');
  });
});
