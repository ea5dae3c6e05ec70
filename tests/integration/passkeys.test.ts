import jwt from 'jsonwebtoken';
import { SecurityEventType } from '../../src/events/security-event-type';
import { SecurityEvent } from '../../src/events/security-event.entity';
import { Passkey, PasskeyUserHandle } from '../../src/passkeys/passkey.entity';
import type { AccessClaims } from '../../src/tokens/access-claims';
import { User } from '../../src/users/user.entity';
import { failure } from '../helpers/failure';
import { factories } from '../helpers/factories';
import { challengeFor, enrollTotp, TotpClock } from '../helpers/mfa';
import { SoftAuthenticator, type AuthenticatorOptions, type SoftCredential } from '../helpers/passkey-authenticator';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/test-server';

// Passkeys through the GraphQL API with a software authenticator (tests/helpers/passkey-authenticator.ts):
// registration, sign-in (discoverable and with an email), and every refusal the issue lists.

const ORIGIN = 'http://localhost:5173';
const RP_ID = 'localhost';

let server: TestServer;
let clock: TotpClock;
beforeAll(async () => {
  server = await startTestServer({ WEBAUTHN_RP_ID: RP_ID, WEBAUTHN_ORIGINS: ORIGIN, WEBAUTHN_RP_NAME: 'Gatehouse tests' });
  clock = new TotpClock(server);
});
afterAll(() => server?.close());
const { em, signUp } = factories(() => server);

const failed = async (promise: Promise<unknown>) => {
  const error = await failure(promise);
  return { code: error.code, reason: error.reason };
};
const refused = (reason: string) => ({ code: 'UNAUTHENTICATED', reason });

/** A signed-up user with one passkey registered through the API. */
async function withPasskey(label: string, settings: Partial<AuthenticatorOptions> = {}) {
  const user = await signUp(label);
  const authenticator = new SoftAuthenticator();
  const { passkeyRegistrationOptions: options } = await server.sdk(user.token).PasskeyRegistrationOptions();
  const { response, credential } = authenticator.create(options, { origin: ORIGIN, ...settings });
  const { registerPasskey } = await server.sdk(user.token).RegisterPasskey({ response, name: 'Laptop' });
  return { ...user, authenticator, credential, passkey: registerPasskey };
}

/** Options, then the authenticator's answer: loginWithPasskey's input. */
async function assertion(
  authenticator: SoftAuthenticator,
  settings: Partial<AuthenticatorOptions> & { credential?: SoftCredential; email?: string } = {},
) {
  const { passkeyLoginOptions } = await server.sdk().PasskeyLoginOptions({ email: settings.email });
  const response = authenticator.get(passkeyLoginOptions.options, { origin: ORIGIN, ...settings });
  return { challengeId: passkeyLoginOptions.challengeId, response, options: passkeyLoginOptions.options as Record<string, unknown> };
}

const login = ({ challengeId, response }: { challengeId: string; response: unknown }) =>
  server.sdk().LoginWithPasskey({ input: { challengeId, response } });

const eventsOf = (userId: string, type: SecurityEventType) => em().find(SecurityEvent, { userId, type });

describe('registering a passkey', () => {
  it('offers a discoverable credential with a random user handle, and stores what the authenticator gave', async () => {
    const user = await signUp('register');
    const { passkeyRegistrationOptions } = await server.sdk(user.token).PasskeyRegistrationOptions();
    const options = passkeyRegistrationOptions as {
      rp: { id: string; name: string };
      user: { id: string; name: string };
      authenticatorSelection: Record<string, unknown>;
      excludeCredentials: unknown[];
      attestation: string;
      timeout: number;
    };
    expect(options.rp).toEqual({ id: RP_ID, name: 'Gatehouse tests' });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'preferred' });
    expect(options.attestation).toBe('none');
    expect(options.timeout).toBe(5 * 60 * 1000);
    expect(options.excludeCredentials).toEqual([]);
    // The user handle is 32 random bytes: not the email, not the database id.
    const handle = Buffer.from(options.user.id, 'base64url');
    expect(handle).toHaveLength(32);
    expect(handle.toString('utf8')).not.toContain(user.email);
    expect(options.user.id).not.toContain(user.id);
    expect(Buffer.from(user.id.replace(/-/g, ''), 'hex').equals(handle.subarray(0, 16))).toBe(false);

    const authenticator = new SoftAuthenticator();
    const { response, credential } = authenticator.create(options, { origin: ORIGIN, backedUp: true, signCount: 3 });
    const { registerPasskey } = await server.sdk(user.token).RegisterPasskey({ response, name: '  Phone  ' });
    expect(registerPasskey).toMatchObject({ name: 'Phone', transports: ['internal'], backedUp: true, deviceType: 'multiDevice', lastUsedAt: null });
    const stored = await em().findOneOrFail(Passkey, { credentialId: credential.id });
    expect(Number(stored.signCount)).toBe(3);
    expect(stored.aaguid).toBe('00000000-0000-0000-0000-000000000000');
    expect((await em().findOneOrFail(PasskeyUserHandle, { user: user.id })).handle).toBe(options.user.id);
    expect((await eventsOf(user.id, SecurityEventType.PASSKEY_ADDED)).map((e) => e.details)).toEqual([
      { passkeyId: registerPasskey.id, deviceType: 'multiDevice' },
    ]);

    // The next options exclude it, and keep the same handle.
    const again = (await server.sdk(user.token).PasskeyRegistrationOptions()).passkeyRegistrationOptions as typeof options;
    expect(again.excludeCredentials).toEqual([{ id: credential.id, type: 'public-key', transports: ['internal'] }]);
    expect(again.user.id).toBe(options.user.id);
    expect((await server.sdk(user.token).Passkeys()).passkeys.map((p) => p.id)).toEqual([registerPasskey.id]);
  });

  it('refuses a response for another origin, another RP ID, a used challenge or another user', async () => {
    const user = await signUp('register-refused');
    const authenticator = new SoftAuthenticator();
    const options = async () => (await server.sdk(user.token).PasskeyRegistrationOptions()).passkeyRegistrationOptions;
    const register = (response: unknown) => server.sdk(user.token).RegisterPasskey({ response });
    const input = (reason: string) => ({ code: 'BAD_USER_INPUT', reason });

    expect(await failed(register(authenticator.create(await options(), { origin: 'https://evil.example' }).response))).toEqual(
      input('PASSKEY_ORIGIN_REFUSED'),
    );
    expect(await failed(register(authenticator.create(await options(), { origin: ORIGIN, rpId: 'evil.example' }).response))).toEqual(
      input('PASSKEY_RP_ID_REFUSED'),
    );
    const { response } = authenticator.create(await options(), { origin: ORIGIN });
    await register(response);
    expect(await failed(register(response))).toEqual(input('PASSKEY_CHALLENGE_INVALID'));
    // A challenge is the user's own: another account cannot answer it.
    const other = await signUp('register-other');
    const stolen = authenticator.create(await options(), { origin: ORIGIN }).response;
    expect(await failed(server.sdk(other.token).RegisterPasskey({ response: stolen }))).toEqual(input('PASSKEY_CHALLENGE_INVALID'));
    expect(await failed(register({ id: 'x' }))).toEqual({ code: 'BAD_USER_INPUT', reason: undefined });
    expect((await server.sdk(user.token).Passkeys()).passkeys).toHaveLength(1);
  });
});

describe('signing in with a passkey', () => {
  it('signs in with a discoverable passkey: hwk and mfa with user verification, aal 2', async () => {
    const user = await withPasskey('discoverable');
    const input = await assertion(user.authenticator);
    expect(input.options.allowCredentials).toEqual([]);
    expect(input.options.rpId).toBe(RP_ID);
    expect(input.options.userVerification).toBe('preferred');
    const { loginWithPasskey } = await login(input);
    expect(loginWithPasskey.user.id).toBe(user.id);
    expect(loginWithPasskey.assurance).toMatchObject({ level: 2, methods: ['hwk', 'mfa'] });
    const claims = jwt.decode(loginWithPasskey.accessToken) as AccessClaims;
    expect(claims).toMatchObject({ sub: user.id, amr: ['hwk', 'mfa'], aal: 2, acr: '2' });
    expect((await server.sdk(loginWithPasskey.accessToken).Me()).me.id).toBe(user.id);
    const [listed] = (await server.sdk(loginWithPasskey.accessToken).Passkeys()).passkeys;
    expect(listed.lastUsedAt).not.toBeNull();
    expect((await eventsOf(user.id, SecurityEventType.PASSKEY_SIGN_IN)).map((e) => e.details)).toEqual([
      { passkeyId: user.passkey.id, userVerified: true },
    ]);
    expect(await eventsOf(user.id, SecurityEventType.LOGIN_SUCCEEDED)).toHaveLength(1);
  });

  it("signs in with an email (the account's passkeys allowed); a synced passkey is swk", async () => {
    const user = await withPasskey('with-email', { backedUp: true });
    const input = await assertion(user.authenticator, { email: user.email.toUpperCase() });
    expect(input.options.allowCredentials).toEqual([{ id: user.credential.id, type: 'public-key', transports: ['internal'] }]);
    const { loginWithPasskey } = await login(input);
    expect(loginWithPasskey.assurance).toMatchObject({ level: 2, methods: ['swk', 'mfa'] });
    // An unknown address gets options like an account without passkeys.
    const unknown = await assertion(user.authenticator, { email: 'nobody-here@example.com' });
    expect(unknown.options.allowCredentials).toEqual([]);
  });

  it('without user verification: one factor, aal 1', async () => {
    const user = await withPasskey('no-uv');
    const { loginWithPasskey } = await login(await assertion(user.authenticator, { userVerified: false }));
    expect(loginWithPasskey.assurance).toMatchObject({ level: 1, methods: ['hwk'] });
  });

  it('refuses another origin and another RP ID, with reasons that say so', async () => {
    const user = await withPasskey('origin');
    expect(await failed(login(await assertion(user.authenticator, { origin: 'https://evil.example' })))).toEqual(refused('PASSKEY_ORIGIN_REFUSED'));
    expect(await failed(login(await assertion(user.authenticator, { rpId: 'evil.example' })))).toEqual(refused('PASSKEY_RP_ID_REFUSED'));
    expect(await eventsOf(user.id, SecurityEventType.PASSKEY_SIGN_IN)).toHaveLength(0);
  });

  it('accepts a challenge once', async () => {
    const user = await withPasskey('replay');
    const input = await assertion(user.authenticator);
    await login(input);
    expect(await failed(login(input))).toEqual(refused('PASSKEY_CHALLENGE_INVALID'));
    // A fresh signature over the used challenge fails alike.
    const resigned = user.authenticator.get(input.options, { origin: ORIGIN });
    expect(await failed(login({ challengeId: input.challengeId, response: resigned }))).toEqual(refused('PASSKEY_CHALLENGE_INVALID'));
    expect(await failed(login({ challengeId: 'not-a-challenge', response: resigned }))).toEqual(refused('PASSKEY_CHALLENGE_INVALID'));
    // A failed attempt spends its challenge too.
    const bad = await assertion(user.authenticator, { rpId: 'evil.example' });
    await failed(login(bad));
    const retried = user.authenticator.get(bad.options, { origin: ORIGIN });
    expect(await failed(login({ challengeId: bad.challengeId, response: retried }))).toEqual(refused('PASSKEY_CHALLENGE_INVALID'));
  });

  it('spends a challenge once when two answers to it race, and not at all once it has expired', async () => {
    const user = await withPasskey('race');
    const input = await assertion(user.authenticator);
    const [first, second] = await Promise.allSettled([login(input), login(input)]);
    const outcomes = [first, second].map((outcome) => outcome.status);
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = [first, second].find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(await failed(Promise.reject(rejected.reason))).toEqual(refused('PASSKEY_CHALLENGE_INVALID'));
    expect(await eventsOf(user.id, SecurityEventType.PASSKEY_SIGN_IN)).toHaveLength(1);

    const late = await assertion(user.authenticator);
    await em().getConnection().execute(`update webauthn_challenges set expires_at = now() - interval '1 second' where id = ?`, [late.challengeId]);
    expect(await failed(login(late))).toEqual(refused('PASSKEY_CHALLENGE_INVALID'));
    expect(await eventsOf(user.id, SecurityEventType.PASSKEY_SIGN_IN)).toHaveLength(1);
  });

  it('refuses a signature counter that goes backwards, and records a suspected clone', async () => {
    const user = await withPasskey('clone', { signCount: 5 });
    await login(await assertion(user.authenticator)); // 6
    await login(await assertion(user.authenticator)); // 7
    // A copy of the key that signed 6 once more.
    expect(await failed(login(await assertion(user.authenticator, { signCount: 6 })))).toEqual(refused('PASSKEY_INVALID'));
    expect(await failed(login(await assertion(user.authenticator, { signCount: 7 })))).toEqual(refused('PASSKEY_INVALID'));
    const clones = await eventsOf(user.id, SecurityEventType.PASSKEY_CLONE_SUSPECTED);
    expect(clones.map((e) => [e.severity, e.details])).toEqual([
      ['HIGH', { passkeyId: user.passkey.id, storedCounter: 7, receivedCounter: 6 }],
      ['HIGH', { passkeyId: user.passkey.id, storedCounter: 7, receivedCounter: 7 }],
    ]);
    expect(Number((await em().findOneOrFail(Passkey, user.passkey.id)).signCount)).toBe(7);
    // Forward again works; an authenticator that never counts (0 each time) is accepted.
    await login(await assertion(user.authenticator, { signCount: 8 }));
    const zero = await withPasskey('zero-counter');
    await login(await assertion(zero.authenticator));
    await login(await assertion(zero.authenticator));
  });

  it('answers an unknown passkey, a removed one, a disabled account and another account alike', async () => {
    const user = await withPasskey('refused');
    const stranger = new SoftAuthenticator();
    stranger.create({ challenge: 'AAAA', rp: { id: RP_ID }, user: { id: 'AAAA' } }, { origin: ORIGIN });
    expect(await failed(login(await assertion(stranger)))).toEqual(refused('PASSKEY_INVALID'));

    // Options for one account, answered with another's passkey.
    const other = await withPasskey('refused-other');
    expect(await failed(login(await assertion(other.authenticator, { email: user.email })))).toEqual(refused('PASSKEY_INVALID'));

    const fork = em();
    await fork.nativeUpdate(User, { id: user.id }, { disabledAt: new Date() });
    expect(await failed(login(await assertion(user.authenticator)))).toEqual(refused('PASSKEY_INVALID'));
    await fork.nativeUpdate(User, { id: user.id }, { disabledAt: null });
    await login(await assertion(user.authenticator));

    await server.sdk(user.token).RemovePasskey({ id: user.passkey.id });
    expect(await failed(login(await assertion(user.authenticator)))).toEqual(refused('PASSKEY_INVALID'));
    expect((await eventsOf(user.id, SecurityEventType.PASSKEY_REMOVED)).map((e) => e.details)).toEqual([{ passkeyId: user.passkey.id }]);
  });
});

describe('managing passkeys', () => {
  const MINUTE = 60_000;
  /** The same session's token as it would be `minutesAgo` after its sign-in. */
  function agedToken(token: string, minutesAgo: number): string {
    const claims = jwt.decode(token) as AccessClaims;
    const now = Date.now();
    const authTime = new Date(now - minutesAgo * MINUTE);
    return server.gatehouse.services.tokens.issue({ id: claims.sub, role: claims.role }, claims.sid, now, { amr: claims.amr, authTime }).token;
  }

  it('needs a recent sign-in to add or remove one, or to remove the password', async () => {
    const user = await withPasskey('step-up');
    const stale = agedToken(user.token, 60);
    const reauth = refused('REAUTHENTICATION_REQUIRED');
    expect(await failed(server.sdk(stale).PasskeyRegistrationOptions())).toEqual(reauth);
    expect(await failed(server.sdk(stale).RemovePasskey({ id: user.passkey.id }))).toEqual(reauth);
    expect(await failed(server.sdk(stale).RemovePassword())).toEqual(reauth);
    // Renaming is not sensitive.
    expect((await server.sdk(stale).RenamePasskey({ id: user.passkey.id, name: 'Work laptop' })).renamePasskey.name).toBe('Work laptop');
    expect(await failed(server.sdk(user.token).RenamePasskey({ id: user.passkey.id, name: ' ' }))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: undefined,
    });
    // Someone else's passkey is not found.
    const other = await signUp('step-up-other');
    expect(await failed(server.sdk(other.token).RenamePasskey({ id: user.passkey.id, name: 'Mine' }))).toEqual({
      code: 'NOT_FOUND',
      reason: undefined,
    });
    expect(await failed(server.sdk(other.token).RemovePasskey({ id: user.passkey.id }))).toEqual({ code: 'NOT_FOUND', reason: undefined });
    expect(await failed(server.sdk().Passkeys())).toEqual(refused('TOKEN_MISSING'));
  });

  it('removes the password once a passkey exists, and refuses to remove the last way to sign in', async () => {
    const plain = await signUp('no-passkey');
    expect(await failed(server.sdk(plain.token).RemovePassword())).toEqual({ code: 'LAST_SIGN_IN_METHOD', reason: undefined });

    const user = await withPasskey('last-way');
    await server.sdk(user.token).RemovePassword();
    expect(await failed(server.sdk().Login({ input: { email: user.email, password: PASSWORD } }))).toEqual(refused('INVALID_CREDENTIALS'));
    expect(await failed(server.sdk(user.token).RemovePasskey({ id: user.passkey.id }))).toEqual({ code: 'LAST_SIGN_IN_METHOD', reason: undefined });

    // With a second passkey, either may go, but not both.
    const { passkeyRegistrationOptions } = await server.sdk(user.token).PasskeyRegistrationOptions();
    const second = await server
      .sdk(user.token)
      .RegisterPasskey({ response: user.authenticator.create(passkeyRegistrationOptions, { origin: ORIGIN }).response });
    await server.sdk(user.token).RemovePasskey({ id: user.passkey.id });
    expect(await failed(server.sdk(user.token).RemovePasskey({ id: second.registerPasskey.id }))).toEqual({
      code: 'LAST_SIGN_IN_METHOD',
      reason: undefined,
    });
    // The remaining passkey signs in.
    const { loginWithPasskey } = await login(await assertion(user.authenticator));
    expect(loginWithPasskey.user.id).toBe(user.id);
  });
});

describe('passkeys and the second factor', () => {
  it('an account with TOTP refuses a passkey without user verification, and takes one with it at aal 2', async () => {
    const user = await withPasskey('totp');
    await enrollTotp(server, clock, user.token);
    expect(await failed(login(await assertion(user.authenticator, { userVerified: false })))).toEqual(refused('PASSKEY_USER_VERIFICATION_REQUIRED'));
    const { loginWithPasskey } = await login(await assertion(user.authenticator));
    expect(loginWithPasskey.assurance.level).toBe(2);
    // aal 2 is the account's highest level: a step-up passes.
    await server.sdk(loginWithPasskey.accessToken).PasskeyRegistrationOptions();
  });

  it('answers an MfaChallenge with a passkey (verifyMfa, method PASSKEY): password and key, aal 2', async () => {
    const user = await withPasskey('second-factor');
    await enrollTotp(server, clock, user.token);
    const challenge = await challengeFor(server, user.email);
    expect(challenge.methods).toEqual(['TOTP', 'RECOVERY_CODE', 'PASSKEY']);
    const options = challenge.passkeyOptions as { allowCredentials: { id: string }[]; challenge: string };
    expect(options.allowCredentials.map((c) => c.id)).toEqual([user.credential.id]);

    // Another origin, or another account's passkey, is a wrong code; the challenge takes the right one after.
    const verify = (code: unknown) =>
      server.sdk().VerifyMfa({ input: { challengeToken: challenge.challengeToken, method: 'PASSKEY', code: JSON.stringify(code) } });
    expect(await failed(verify(user.authenticator.get(options, { origin: 'https://evil.example' })))).toEqual(refused('MFA_CODE_INVALID'));
    const other = await withPasskey('second-factor-other');
    expect(await failed(verify(other.authenticator.get(options, { origin: ORIGIN })))).toEqual(refused('MFA_CODE_INVALID'));
    expect(
      await failed(server.sdk().VerifyMfa({ input: { challengeToken: challenge.challengeToken, method: 'PASSKEY', code: 'not json' } })),
    ).toEqual(refused('MFA_CODE_INVALID'));

    // Without user verification: the password is the other factor.
    const { verifyMfa } = await verify(user.authenticator.get(options, { origin: ORIGIN, userVerified: false }));
    expect(verifyMfa.assurance).toMatchObject({ level: 2, methods: ['pwd', 'hwk', 'mfa'] });
    // The passkey challenge worked once.
    const again = await challengeFor(server, user.email);
    const replay = user.authenticator.get(options, { origin: ORIGIN });
    expect(
      await failed(server.sdk().VerifyMfa({ input: { challengeToken: again.challengeToken, method: 'PASSKEY', code: JSON.stringify(replay) } })),
    ).toEqual(refused('MFA_CODE_INVALID'));
  });

  it('offers no PASSKEY method to an account without passkeys', async () => {
    const user = await signUp('second-factor-none');
    await enrollTotp(server, clock, user.token);
    const challenge = await challengeFor(server, user.email);
    expect(challenge.methods).toEqual(['TOTP', 'RECOVERY_CODE']);
    expect(challenge.passkeyOptions).toBeNull();
  });
});
