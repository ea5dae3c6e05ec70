import { Session } from '../../src/sessions/session.entity';
import { User } from '../../src/users/user.entity';
import { factories, logIn } from '../helpers/factories';
import { failure } from '../helpers/failure';
import { openMailbox, tokenOf, startServerWithMailbox } from '../helpers/mailbox';
import { PASSWORD, uniqueEmail, type TestServer } from '../helpers/test-server';

// REQUIRE_VERIFIED_EMAIL and the security notices (NOTIFY_NEW_SIGN_IN, password changed), on one server
// with both settings on.

let server: TestServer;
beforeAll(async () => {
  server = await startServerWithMailbox({ REQUIRE_VERIFIED_EMAIL: 'true', NOTIFY_NEW_SIGN_IN: 'true', RATE_LIMIT_MAIL_ADDRESS: '100/1h' });
});
afterAll(() => server?.close());

const { em } = factories(() => server);
const mailbox = () => openMailbox(server);
const UA = {
  chrome: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0.0.0',
  chromeUpdated: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.1.2',
  firefox: 'Mozilla/5.0 Firefox/133.0',
};

/** Login with a user agent of our choosing (the SDK's fetch sends its own otherwise). */
async function loginAs(email: string, userAgent: string) {
  const { body } = await server.post(
    {
      query: 'mutation ($input: LoginInput!) { login(input: $input) { ... on AuthPayload { accessToken } } }',
      variables: { input: { email, password: PASSWORD } },
    },
    { 'user-agent': userAgent },
  );
  return body;
}

/** A verified account: registered (no session), its link followed. */
async function verifiedAccount(label: string, box = mailbox()) {
  const email = uniqueEmail(label);
  await failure(server.sdk().Register({ input: { email, password: PASSWORD } }));
  await server.sdk().VerifyEmail({ token: tokenOf((await box.nextMail(email)).link) });
  return email;
}

describe('REQUIRE_VERIFIED_EMAIL', () => {
  it('register creates the account and queues its link, then answers EMAIL_NOT_VERIFIED (no session)', async () => {
    const email = uniqueEmail('unverified');
    const refused = await failure(server.sdk().Register({ input: { email, password: PASSWORD } }));
    expect(refused).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'EMAIL_NOT_VERIFIED' });
    const user = await em().findOneOrFail(User, { email });
    expect(await em().count(Session, { user: user.id })).toBe(0);
    const box = mailbox();
    const mail = await box.nextMail(email);
    expect(mail.template).toBe('verifyEmail');

    // Before verifying: a wrong password is still INVALID_CREDENTIALS; the right one, EMAIL_NOT_VERIFIED.
    expect(await failure(logIn(server, email, 'wrong password'))).toMatchObject({ reason: 'INVALID_CREDENTIALS' });
    expect(await failure(logIn(server, email))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'EMAIL_NOT_VERIFIED' });
    // A new link without a session; the older one is superseded.
    expect(await server.sdk().ResendVerificationEmail({ email })).toEqual({ resendVerificationEmail: true });
    const fresh = tokenOf((await box.nextMail(email)).link);
    expect(await failure(server.sdk().VerifyEmail({ token: tokenOf(mail.link) }))).toMatchObject({ reason: 'TOKEN_INVALID' });
    await server.sdk().VerifyEmail({ token: fresh });
    expect((await logIn(server, email)).user.emailVerifiedAt).toEqual(expect.any(String));
    // Verified: no more links are sent.
    expect(await server.sdk().ResendVerificationEmail({ email })).toEqual({ resendVerificationEmail: true });
    expect(await box.all(email)).toHaveLength(2);
  });

  it('refuses the refresh of a session whose account is not verified (opened before the setting)', async () => {
    const email = uniqueEmail('old-session');
    await failure(server.sdk().Register({ input: { email, password: PASSWORD } }));
    const user = await em().findOneOrFail(User, { email });
    // As if it had signed in before REQUIRE_VERIFIED_EMAIL was turned on.
    await em().nativeUpdate(User, { id: user.id }, { emailVerifiedAt: new Date() });
    const session = await logIn(server, email);
    await em().nativeUpdate(User, { id: user.id }, { emailVerifiedAt: null });
    expect(await failure(server.sdk().Refresh({ refreshToken: session.refreshToken }))).toMatchObject({ reason: 'EMAIL_NOT_VERIFIED' });
    // Nothing rotated: once verified, the same refresh token works.
    await em().nativeUpdate(User, { id: user.id }, { emailVerifiedAt: new Date() });
    expect((await server.sdk().Refresh({ refreshToken: session.refreshToken })).refresh.accessToken).toBeTruthy();
  });

  it('a disabled account hears USER_DISABLED first', async () => {
    const email = uniqueEmail('disabled-first');
    await failure(server.sdk().Register({ input: { email, password: PASSWORD } }));
    await em().nativeUpdate(User, { email }, { disabledAt: new Date() });
    expect(await failure(logIn(server, email))).toMatchObject({ reason: 'USER_DISABLED' });
  });
});

describe('notices', () => {
  it('NOTIFY_NEW_SIGN_IN: a sign-in from a device not seen before, and only then', async () => {
    const box = mailbox();
    const email = await verifiedAccount('devices', box);
    const signInNotices = async () => (await box.all(email)).filter((mail) => mail.template === 'newSignIn');
    // The first sign-in ever tells nothing; the same device again neither, nor after a browser update.
    expect((await loginAs(email, UA.chrome)).errors).toBeUndefined();
    expect((await loginAs(email, UA.chrome)).errors).toBeUndefined();
    expect((await loginAs(email, UA.chromeUpdated)).errors).toBeUndefined();
    expect(await signInNotices()).toHaveLength(0);
    // Another device: one notice, with where it came from.
    expect((await loginAs(email, UA.firefox)).errors).toBeUndefined();
    const notices = await signInNotices();
    expect(notices).toHaveLength(1);
    expect(notices[0].text).toContain(UA.firefox);
    // Seen now, also once its sessions are gone (the recorded login remembers it).
    await em().nativeDelete(Session, { user: { email } });
    expect((await loginAs(email, UA.firefox)).errors).toBeUndefined();
    expect(await signInNotices()).toHaveLength(1);
  });

  it('changePassword mails a notice to the account', async () => {
    const box = mailbox();
    const email = await verifiedAccount('changed', box);
    const { token } = await logIn(server, email);
    await server.sdk(token).ChangePassword({ input: { currentPassword: PASSWORD, newPassword: 'a different passphrase' } });
    const notice = (await box.all(email)).find((mail) => mail.template === 'passwordChanged');
    expect(notice?.text).toMatch(/^When: .+ UTC$/m);
    expect(notice?.text).toMatch(/^IP address: 127\.0\.0\.1$/m);
    // A wrong current password changes nothing and mails nothing.
    const { token: again } = await logIn(server, email, 'a different passphrase');
    await failure(server.sdk(again).ChangePassword({ input: { currentPassword: PASSWORD, newPassword: 'yet another passphrase' } }));
    expect((await box.all(email)).filter((mail) => mail.template === 'passwordChanged')).toHaveLength(1);
  });
});
