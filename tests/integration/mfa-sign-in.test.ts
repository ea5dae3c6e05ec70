import jwt from 'jsonwebtoken';
import { RecoveryCode } from '../../src/mfa/recovery-code.entity';
import { MfaChallengeRecord } from '../../src/mfa/mfa-challenge.entity';
import { TotpFactor } from '../../src/mfa/totp-factor.entity';
import { SecurityEvent } from '../../src/events/security-event.entity';
import { Session } from '../../src/sessions/session.entity';
import { User } from '../../src/users/user.entity';
import { failure } from '../helpers/failure';
import { factories } from '../helpers/factories';
import { challengeFor, enrollTotp, signInWithTotp, TotpClock } from '../helpers/mfa';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/test-server';

// Sign-in with a second factor, on the real server and database: login answers a challenge and nothing
// else exists yet; verifyMfa completes it with a TOTP code computed here from the enrolled secret, or a
// recovery code.

let server: TestServer;
let clock: TotpClock;
beforeAll(async () => {
  server = await startTestServer();
  clock = new TotpClock(server);
});
afterAll(() => server?.close());
const { em, signUp } = factories(() => server);

async function enrolledUser(label = 'mfa') {
  const user = await signUp(label);
  const factor = await enrollTotp(server, clock, user.token);
  return { ...user, ...factor };
}

const events = (userId: string, type: string) => em().find(SecurityEvent, { userId, type: type as never }, { orderBy: { createdAt: 'asc' } });

describe('login with a second factor', () => {
  it('answers a challenge, with no token and no new session; verifyMfa signs in at aal 2', async () => {
    const user = await enrolledUser();
    const sessionsBefore = await em().count(Session, { user: user.id });
    const challenge = await challengeFor(server, user.email);
    expect(challenge).toEqual({
      __typename: 'MfaChallenge',
      challengeToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      methods: ['TOTP', 'RECOVERY_CODE'],
      expiresAt: expect.any(String),
      // No passkeys on this account: no PASSKEY method, no options.
      passkeyOptions: null,
    });
    expect(await em().count(Session, { user: user.id })).toBe(sessionsBefore);
    // Stored by its hash only.
    expect(await em().count(MfaChallengeRecord, { tokenHash: challenge.challengeToken })).toBe(0);

    clock.advance();
    const { verifyMfa } = await server
      .sdk()
      .VerifyMfa({ input: { challengeToken: challenge.challengeToken, method: 'TOTP', code: clock.code(user.secret) } });
    expect(verifyMfa.assurance).toEqual({ level: 2, methods: ['pwd', 'otp', 'mfa'], authenticatedAt: expect.any(String) });
    const claims = jwt.decode(verifyMfa.accessToken) as Record<string, unknown>;
    expect(claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], aal: 2, acr: '2', auth_time: expect.any(Number) });
    expect((await server.sdk(verifyMfa.accessToken).MySecondFactor()).me).toEqual({ id: user.id, mfaEnabled: true, recoveryCodesRemaining: 10 });

    // A refresh keeps what the sign-in proved.
    const { refresh } = await server.sdk().Refresh({ refreshToken: verifyMfa.refreshToken });
    expect(jwt.decode(refresh.accessToken)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], aal: 2, auth_time: claims.auth_time });
    expect(refresh.assurance.level).toBe(2);
  });

  it('a user without a second factor still gets tokens at aal 1', async () => {
    const user = await signUp('plain');
    const { login } = await server.sdk().Login({ input: { email: user.email, password: PASSWORD } });
    expect(login.__typename).toBe('AuthPayload');
    if (login.__typename !== 'AuthPayload') return;
    expect(login.assurance).toMatchObject({ level: 1, methods: ['pwd'] });
    expect(jwt.decode(login.accessToken)).toMatchObject({ amr: ['pwd'], aal: 1, acr: '1' });
  });

  it('refuses wrong codes, counts them, and ends the challenge after 5 with an alert event', async () => {
    const user = await enrolledUser('wrong');
    const { challengeToken } = await challengeFor(server, user.email);
    const wrong = (code: string) => failure(server.sdk().VerifyMfa({ input: { challengeToken, method: 'TOTP', code } }));
    expect(await wrong('000000')).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'MFA_CODE_INVALID' });
    expect(await wrong('not a code')).toMatchObject({ reason: 'MFA_CODE_INVALID' });
    expect((await wrong('ABCDE-FGHJK')).reason).toBe('MFA_CODE_INVALID');
    // A code two steps away is outside the ±1 window.
    expect((await wrong(clock.code(user.secret, -2))).reason).toBe('MFA_CODE_INVALID');
    expect((await wrong(clock.code(user.secret, 3))).reason).toBe('MFA_CODE_INVALID');
    // The fifth ended it: even the right code is refused now.
    clock.advance();
    expect((await wrong(clock.code(user.secret))).reason).toBe('MFA_CHALLENGE_INVALID');
    expect((await em().findOneOrFail(MfaChallengeRecord, { user: user.id })).attempts).toBe(5);
    expect(await events(user.id, 'MFA_FAILED')).toHaveLength(5);
    const [alert] = await events(user.id, 'MFA_FAILURES_REPEATED');
    expect(alert).toMatchObject({ severity: 'HIGH', details: { attempts: 5 } });
    // A new login gives a new challenge, and the code works there.
    const fresh = await challengeFor(server, user.email);
    const { verifyMfa } = await server
      .sdk()
      .VerifyMfa({ input: { challengeToken: fresh.challengeToken, method: 'TOTP', code: clock.code(user.secret) } });
    expect(verifyMfa.user.id).toBe(user.id);
  });

  it('accepts a code once: a replay within its window, or an earlier step, is refused', async () => {
    const user = await enrolledUser('replay');
    clock.advance();
    const code = clock.code(user.secret);
    const first = await challengeFor(server, user.email);
    await server.sdk().VerifyMfa({ input: { challengeToken: first.challengeToken, method: 'TOTP', code } });
    const second = await challengeFor(server, user.email);
    const replay = await failure(server.sdk().VerifyMfa({ input: { challengeToken: second.challengeToken, method: 'TOTP', code } }));
    expect(replay.reason).toBe('MFA_CODE_INVALID');
    // The previous step is still inside the window, but before the last used one.
    const earlier = await failure(
      server.sdk().VerifyMfa({ input: { challengeToken: second.challengeToken, method: 'TOTP', code: clock.code(user.secret, -1) } }),
    );
    expect(earlier.reason).toBe('MFA_CODE_INVALID');
    // The next step's code (the app a little ahead) passes.
    const { verifyMfa } = await server
      .sdk()
      .VerifyMfa({ input: { challengeToken: second.challengeToken, method: 'TOTP', code: clock.code(user.secret, 1) } });
    expect(verifyMfa.assurance.level).toBe(2);
  });

  it('a challenge works once, only from the client that logged in, and not after 5 minutes', async () => {
    const user = await enrolledUser('challenge');
    const { challengeToken } = await challengeFor(server, user.email);
    const other = await server.post(
      {
        query: 'mutation ($input: VerifyMfaInput!) { verifyMfa(input: $input) { accessToken } }',
        variables: { input: { challengeToken, method: 'TOTP', code: clock.code(user.secret, 1) } },
      },
      { 'user-agent': 'another browser' },
    );
    expect(other.body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'MFA_CHALLENGE_INVALID' });

    clock.advance();
    await server.sdk().VerifyMfa({ input: { challengeToken, method: 'TOTP', code: clock.code(user.secret) } });
    clock.advance();
    const reused = await failure(server.sdk().VerifyMfa({ input: { challengeToken, method: 'TOTP', code: clock.code(user.secret) } }));
    expect(reused.reason).toBe('MFA_CHALLENGE_INVALID');

    const late = await challengeFor(server, user.email);
    await em().nativeUpdate(MfaChallengeRecord, { user: user.id, usedAt: null }, { expiresAt: new Date(Date.now() - 1000) });
    const expired = await failure(
      server.sdk().VerifyMfa({ input: { challengeToken: late.challengeToken, method: 'TOTP', code: clock.code(user.secret, 1) } }),
    );
    expect(expired).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'MFA_CHALLENGE_EXPIRED' });
    expect(await events(user.id, 'MFA_CHALLENGE_EXPIRED')).toHaveLength(1);

    const unknown = await failure(server.sdk().VerifyMfa({ input: { challengeToken: 'x'.repeat(43), method: 'TOTP', code: '123456' } }));
    expect(unknown.reason).toBe('MFA_CHALLENGE_INVALID');
    const malformed = await failure(server.sdk().VerifyMfa({ input: { challengeToken: 'short', method: 'TOTP', code: '123456' } }));
    expect(malformed.reason).toBe('MFA_CHALLENGE_INVALID');
  });

  it('a recovery code works once, says how many remain, and signs in at aal 2 without claiming otp', async () => {
    const user = await enrolledUser('recovery');
    const [code, next] = user.recoveryCodes;
    expect(user.recoveryCodes).toHaveLength(10);
    expect(new Set(user.recoveryCodes).size).toBe(10);
    for (const c of user.recoveryCodes) expect(c).toMatch(/^[ACDEFGHJKMNPQRTUVWXY34679]{5}-[ACDEFGHJKMNPQRTUVWXY34679]{5}$/);
    // Stored hashed.
    expect(await em().count(RecoveryCode, { user: user.id, codeHash: code })).toBe(0);

    const first = await challengeFor(server, user.email);
    // Typed in lower case and without the dash.
    const { verifyMfa } = await server.sdk().VerifyMfa({
      input: { challengeToken: first.challengeToken, method: 'RECOVERY_CODE', code: code.replace('-', '').toLowerCase() },
    });
    expect(verifyMfa.assurance).toMatchObject({ level: 2, methods: ['pwd', 'mfa'] });
    const [used] = await events(user.id, 'RECOVERY_CODE_USED');
    expect(used.details).toEqual({ remaining: 9 });
    expect((await server.sdk(verifyMfa.accessToken).MySecondFactor()).me.recoveryCodesRemaining).toBe(9);

    const second = await challengeFor(server, user.email);
    const again = await failure(server.sdk().VerifyMfa({ input: { challengeToken: second.challengeToken, method: 'RECOVERY_CODE', code } }));
    expect(again.reason).toBe('MFA_CODE_INVALID');
    // A TOTP code is not a recovery code, nor the other way round.
    const crossed = await failure(server.sdk().VerifyMfa({ input: { challengeToken: second.challengeToken, method: 'TOTP', code: next } }));
    expect(crossed.reason).toBe('MFA_CODE_INVALID');
    await server.sdk().VerifyMfa({ input: { challengeToken: second.challengeToken, method: 'RECOVERY_CODE', code: next } });
    expect((await events(user.id, 'RECOVERY_CODE_USED')).map((e) => e.details)).toEqual([{ remaining: 9 }, { remaining: 8 }]);
  });

  it('says USER_DISABLED before any challenge, and a wrong password as before', async () => {
    const user = await enrolledUser('disabled');
    expect((await failure(server.sdk().Login({ input: { email: user.email, password: 'not the password' } }))).reason).toBe('INVALID_CREDENTIALS');
    await em().nativeUpdate(User, { id: user.id }, { disabledAt: new Date() });
    expect((await failure(server.sdk().Login({ input: { email: user.email, password: PASSWORD } }))).reason).toBe('USER_DISABLED');
    expect(await em().count(MfaChallengeRecord, { user: user.id })).toBe(0);
  });

  it('a password change between the login and the code ends the challenge', async () => {
    const user = await enrolledUser('changed');
    const { challengeToken } = await challengeFor(server, user.email);
    const { accessToken } = await signInWithTotp(server, clock, user.email, user.secret);
    await server.sdk(accessToken).ChangePassword({ input: { currentPassword: PASSWORD, newPassword: 'a fresh new passphrase' } });
    clock.advance();
    const refused = await failure(server.sdk().VerifyMfa({ input: { challengeToken, method: 'TOTP', code: clock.code(user.secret) } }));
    expect(refused.reason).toBe('MFA_CHALLENGE_INVALID');
  });

  it('keeps the TOTP secret encrypted at rest', async () => {
    const user = await enrolledUser('at-rest');
    const factor = await em().findOneOrFail(TotpFactor, { user: user.id });
    expect(factor.secretSealed).toMatch(/^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+$/);
    expect(factor.secretSealed).not.toContain(user.secret);
    expect(Buffer.from(factor.secretSealed.split('.')[2], 'base64url').toString('latin1')).not.toContain(user.secret);
  });

  it("signs in through the tests' own helper (password, then the next code)", async () => {
    const user = await enrolledUser('helper');
    const tokens = await signInWithTotp(server, clock, user.email, user.secret);
    expect((await server.sdk(tokens.accessToken).Me()).me.id).toBe(user.id);
  });
});
