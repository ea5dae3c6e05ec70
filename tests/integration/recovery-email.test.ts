import { createGatehouse } from '../../src/app';
import { loadConfig } from '../../src/config';
import { Session } from '../../src/sessions/session.entity';
import { User } from '../../src/users/user.entity';
import { factories, signUp as signUpOn, logIn as logInOn } from '../helpers/factories';
import { failure } from '../helpers/failure';
import { openMailbox, tokenOf, type Mailbox, startServerWithMailbox } from '../helpers/mailbox';
import { PASSWORD, uniqueEmail, type TestServer } from '../helpers/test-server';

// Verifying an address and changing it, through the typed SDK, with the links read from the mail.

let server: TestServer;
let mailbox: Mailbox;
beforeAll(async () => {
  server = await startServerWithMailbox({ RATE_LIMIT_MAIL_ADDRESS: '100/1h' });
  mailbox = openMailbox(server);
});
afterAll(() => server?.close());

const { em, signUp, logIn } = factories(() => server);
const sdk = (token?: string) => server.sdk(token);

describe('email verification', () => {
  it('mails a link that verifies the address, from any device, once', async () => {
    const user = await signUp('verify');
    expect(user.user.emailVerifiedAt).toBeNull();
    expect(await sdk(user.token).RequestEmailVerification()).toEqual({ requestEmailVerification: true });
    const mail = await mailbox.nextMail(user.email);
    expect(mail.template).toBe('verifyEmail');
    expect(mail.link).toMatch(new RegExp(`^${server.config.recovery.appUrl}/verify-email#token=[A-Za-z0-9_-]{43}$`));
    const token = tokenOf(mail.link);
    // No sign-in needed.
    const { verifyEmail } = await sdk().VerifyEmail({ token });
    expect(verifyEmail).toMatchObject({ id: user.id, email: user.email, emailVerifiedAt: expect.any(String) });
    expect((await sdk(user.token).Me()).me.emailVerifiedAt).toBe(verifyEmail.emailVerifiedAt);
    expect(await failure(sdk().VerifyEmail({ token }))).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOKEN_INVALID' });
    // Already verified: true, and no mail.
    expect(await sdk(user.token).RequestEmailVerification()).toEqual({ requestEmailVerification: true });
    expect(await mailbox.all(user.email)).toHaveLength(1);
    const { myEvents } = await sdk(user.token).MyEvents({});
    expect(myEvents.edges.map((edge) => edge.node.type)).toContain('EMAIL_VERIFIED');
  });

  it('needs a sign-in to request, and a stale link clicked while signed in is not UNAUTHENTICATED', async () => {
    expect(await failure(sdk().RequestEmailVerification())).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    const user = await signUp('stale');
    const stale = await failure(sdk(user.token).VerifyEmail({ token: 'C'.repeat(43) }));
    expect(stale).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOKEN_INVALID' });
    expect(stale.errors[0].extensions?.field).toBe('token');
  });
});

describe('email change', () => {
  it('mails a confirmation to the new address and a notice to the old one; the address changes on confirmation', async () => {
    const user = await signUp('change');
    const other = await logIn(user.email);
    const newEmail = uniqueEmail('changed');
    expect(await sdk(user.token).RequestEmailChange({ newEmail, currentPassword: PASSWORD })).toEqual({ requestEmailChange: true });
    const confirm = await mailbox.nextMail(newEmail);
    expect(confirm.template).toBe('confirmEmailChange');
    expect(confirm.link).toMatch(/\/confirm-email#token=/);
    const notice = await mailbox.nextMail(user.email);
    expect(notice.template).toBe('emailChangeRequested');
    expect(notice.text).toContain(`@${newEmail.split('@')[1]}`);
    expect(notice.text).not.toContain(newEmail);
    // Nothing changed yet.
    expect((await sdk(user.token).Me()).me.email).toBe(user.email);

    const { confirmEmailChange } = await sdk().ConfirmEmailChange({ token: tokenOf(confirm.link) });
    expect(confirmEmailChange).toMatchObject({ email: newEmail, emailVerifiedAt: expect.any(String) });
    expect((await mailbox.nextMail(user.email)).template).toBe('emailChanged');
    // Sessions are kept, and see the new address at once.
    expect((await sdk(other.token).Me()).me.email).toBe(newEmail);
    // The old address no longer signs in; the new one does.
    expect(await failure(logIn(user.email))).toMatchObject({ reason: 'INVALID_CREDENTIALS' });
    expect((await logIn(newEmail)).user.id).toBe(user.id);
    const row = await em().findOneOrFail(User, user.id);
    expect(row.emailSkeleton).not.toBeNull();
    expect(await failure(sdk().ConfirmEmailChange({ token: tokenOf(confirm.link) }))).toMatchObject({ reason: 'TOKEN_INVALID' });
  });

  it('ends the links sent to the old address', async () => {
    const user = await signUp('old-links');
    await sdk().RequestPasswordReset({ email: user.email });
    const reset = tokenOf((await mailbox.nextMail(user.email)).link);
    const newEmail = uniqueEmail('new-links');
    await sdk(user.token).RequestEmailChange({ newEmail, currentPassword: PASSWORD });
    await sdk().ConfirmEmailChange({ token: tokenOf((await mailbox.nextMail(newEmail)).link) });
    expect(await failure(sdk().ResetPassword({ input: { token: reset, newPassword: 'a reset after the change' } }))).toMatchObject({
      reason: 'TOKEN_INVALID',
    });
  });

  it('refuses at confirmation an address registered meanwhile, and changes nothing', async () => {
    const user = await signUp('race');
    const newEmail = uniqueEmail('contested');
    await sdk(user.token).RequestEmailChange({ newEmail, currentPassword: PASSWORD });
    const token = tokenOf((await mailbox.nextMail(newEmail)).link);
    await sdk().Register({ input: { email: newEmail, password: PASSWORD } });
    const refused = await failure(sdk().ConfirmEmailChange({ token }));
    expect(refused).toMatchObject({ code: 'EMAIL_TAKEN' });
    expect(refused.errors[0].extensions?.field).toBe('newEmail');
    const row = await em().findOneOrFail(User, user.id);
    expect({ email: row.email, verified: row.emailVerifiedAt }).toEqual({ email: user.email, verified: null });
    expect((await logIn(user.email)).user.email).toBe(user.email);
    expect((await mailbox.all(user.email)).map((mail) => mail.template)).toEqual(['emailChangeRequested']);
  });

  it('a unique index decides when the check passes and the insert races (nothing half-written)', async () => {
    const user = await signUp('index');
    const newEmail = uniqueEmail('index-race');
    await sdk(user.token).RequestEmailChange({ newEmail, currentPassword: PASSWORD });
    const token = tokenOf((await mailbox.nextMail(newEmail)).link);
    const someone = await signUp('index-other');
    // The other account takes the address without going through the check (as a concurrent commit would).
    const count = jest.spyOn(server.gatehouse.database.orm.em.constructor.prototype, 'count').mockResolvedValue(0 as never);
    try {
      await em().nativeUpdate(User, { id: someone.id }, { email: newEmail });
      expect(await failure(sdk().ConfirmEmailChange({ token }))).toMatchObject({ code: 'EMAIL_TAKEN' });
    } finally {
      count.mockRestore();
    }
    expect((await em().findOneOrFail(User, user.id)).email).toBe(user.email);
    expect(await mailbox.all(user.email)).toHaveLength(1);
  });

  it('validates the new address like register, and refuses taken and look-alike ones', async () => {
    const user = await signUp('validate');
    const taken = await signUp('lookm');
    const cases: [string, string][] = [
      ['not-an-address', 'BAD_USER_INPUT'],
      [` ${user.email.toUpperCase()} `, 'BAD_USER_INPUT'],
      // A Cyrillic "а" among Latin letters.
      ['p\u0430ypal@example.com', 'BAD_USER_INPUT'],
      [taken.email, 'EMAIL_TAKEN'],
      // "rn" looks like "m" (UTS #39 skeleton).
      [taken.email.replace('lookm', 'lookrn'), 'EMAIL_TAKEN'],
    ];
    for (const [newEmail, code] of cases) {
      const refused = await failure(sdk(user.token).RequestEmailChange({ newEmail, currentPassword: PASSWORD }));
      expect({ newEmail, code: refused.code, field: refused.errors[0].extensions?.field }).toEqual({ newEmail, code, field: 'newEmail' });
    }
    expect(await mailbox.all(user.email)).toEqual([]);
  });

  it('needs the current password or a recent sign-in (auth_time within REAUTH_WINDOW)', async () => {
    const user = await signUp('step-up');
    const newEmail = uniqueEmail('step-up-new');
    // A session that started just now: no password needed.
    expect(await sdk(user.token).RequestEmailChange({ newEmail })).toEqual({ requestEmailChange: true });
    // A session whose sign-in is older (its tokens' auth_time, issue 13): refused without the password,
    // accepted with it; a wrong one is counted. Its next token, from a refresh, carries the old auth_time.
    await em().nativeUpdate(
      Session,
      { user: user.id },
      { authenticatedAt: new Date(Date.now() - (server.config.sessions.reauthWindowSeconds + 60) * 1000) },
    );
    const { refresh: aged } = await sdk().Refresh({ refreshToken: user.refreshToken });
    expect(await failure(sdk(aged.accessToken).RequestEmailChange({ newEmail }))).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'REAUTHENTICATION_REQUIRED',
    });
    const wrong = await failure(sdk(aged.accessToken).RequestEmailChange({ newEmail, currentPassword: 'not my password' }));
    expect(wrong).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(wrong.errors[0].extensions?.field).toBe('currentPassword');
    expect(await sdk(aged.accessToken).RequestEmailChange({ newEmail, currentPassword: PASSWORD })).toEqual({ requestEmailChange: true });
    // A refresh does not count as a sign-in.
    const { refresh } = await sdk().Refresh({ refreshToken: aged.refreshToken });
    expect(await failure(sdk(refresh.accessToken).RequestEmailChange({ newEmail }))).toMatchObject({ reason: 'REAUTHENTICATION_REQUIRED' });
  });

  it('a password change ends a pending email change', async () => {
    const user = await signUp('cancel');
    const newEmail = uniqueEmail('cancelled');
    await sdk(user.token).RequestEmailChange({ newEmail, currentPassword: PASSWORD });
    const token = tokenOf((await mailbox.nextMail(newEmail)).link);
    await sdk(user.token).ChangePassword({ input: { currentPassword: PASSWORD, newPassword: 'a changed passphrase here' } });
    expect(await failure(sdk().ConfirmEmailChange({ token }))).toMatchObject({ reason: 'TOKEN_INVALID' });
  });
});

const onPostgres = process.env.DATABASE_URL ? describe : describe.skip;
onPostgres('another instance on the same database', () => {
  it('sees a verification and an email change at once, through its auth cache', async () => {
    const b = await createGatehouse(loadConfig(server.env));
    try {
      await b.fastify.listen({ host: '127.0.0.1', port: 0 });
      const { port } = b.fastify.server.address() as { port: number };
      const { createGatehouseClient } = await import('../../client');
      const bSdk = (token?: string) => createGatehouseClient({ url: `http://127.0.0.1:${port}/graphql`, getAccessToken: () => token });
      const user = await signUpOn(server, 'instances');
      // Warm B's cache: the second `me` is answered from it.
      for (let i = 0; i < 2; i++) expect((await bSdk(user.token).Me()).me.emailVerifiedAt).toBeNull();
      await sdk(user.token).RequestEmailVerification();
      await sdk().VerifyEmail({ token: tokenOf((await mailbox.nextMail(user.email)).link) });
      expect((await bSdk(user.token).Me()).me.emailVerifiedAt).toEqual(expect.any(String));
      const newEmail = uniqueEmail('instances-new');
      await sdk(user.token).RequestEmailChange({ newEmail, currentPassword: PASSWORD });
      await sdk().ConfirmEmailChange({ token: tokenOf((await mailbox.nextMail(newEmail)).link) });
      expect((await bSdk(user.token).Me()).me.email).toBe(newEmail);
      expect((await logInOn(server, newEmail)).user.email).toBe(newEmail);
    } finally {
      await b.close();
    }
  });
});
