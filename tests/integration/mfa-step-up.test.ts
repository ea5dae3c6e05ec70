import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import type { AccessClaims } from '../../src/tokens/access-claims';
import { SecurityEvent } from '../../src/events/security-event.entity';
import { Role } from '../../src/users/role';
import { User } from '../../src/users/user.entity';
import { failure } from '../helpers/failure';
import { expectTokens, factories, logIn } from '../helpers/factories';
import { openMailbox, startServerWithMailbox } from '../helpers/mailbox';
import { challengeFor, enrollTotp, signInWithTotp, TotpClock } from '../helpers/mfa';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/test-server';

// Step-up (a recent authentication at the account's highest level), reauthenticate, REQUIRE_MFA_FOR_ROLES,
// the admin reset, and what the token's assurance claims let another service require.

let server: TestServer;
let clock: TotpClock;
beforeAll(async () => {
  server = await startServerWithMailbox({ REQUIRE_MFA_FOR_ROLES: 'ADMIN' });
  clock = new TotpClock(server);
});
afterAll(() => server?.close());
const { em, signUp } = factories(() => server);

const MINUTE = 60_000;

/** The same session's token as it would be `minutesAgo` after its sign-in (signed by the server's own keys). */
function agedToken(token: string, minutesAgo: number): string {
  const claims = jwt.decode(token) as AccessClaims;
  const now = Date.now();
  const authTime = new Date(now - minutesAgo * MINUTE);
  return server.gatehouse.services.tokens.issue({ id: claims.sub, role: claims.role }, claims.sid, now, { amr: claims.amr, authTime }).token;
}

async function enrolled(label: string) {
  const user = await signUp(label);
  const factor = await enrollTotp(server, clock, user.token);
  const tokens = await signInWithTotp(server, clock, user.email, factor.secret);
  return { ...user, ...factor, token: tokens.accessToken, refreshToken: tokens.refreshToken };
}

const reason = async (promise: Promise<unknown>) => (await failure(promise)).reason;

describe('step-up', () => {
  it('prints the requirement into the schema', async () => {
    const { readFileSync } = await import('node:fs');
    const sdl = readFileSync(join(__dirname, '../../schema.graphql'), 'utf8');
    expect(sdl).toContain('directive @requiresRecentAuth on FIELD_DEFINITION');
    for (const field of [
      'changePassword(input: ChangePasswordInput!): AuthPayload!',
      'disableTotp: Boolean!',
      'regenerateRecoveryCodes: RecoveryCodes!',
      'resetUserMfa(id: ID!): User!',
    ]) {
      expect(sdl).toContain(`${field} @requiresRecentAuth`);
    }
    expect(sdl).toMatch(/requestEmailChange\(currentPassword: String, newEmail: String!\): Boolean! @requiresRecentAuth/);
  });

  it('refuses disableTotp, regenerateRecoveryCodes and requestEmailChange past REAUTH_WINDOW, and a password-only token of an enrolled account', async () => {
    const user = await enrolled('stale');
    const stale = agedToken(user.token, 11);
    expect(await reason(server.sdk(stale).DisableTotp())).toBe('REAUTHENTICATION_REQUIRED');
    expect(await reason(server.sdk(stale).RegenerateRecoveryCodes())).toBe('REAUTHENTICATION_REQUIRED');
    // The password does not stand in for the second factor.
    expect(await reason(server.sdk(stale).RequestEmailChange({ newEmail: `new-${user.email}`, currentPassword: PASSWORD }))).toBe(
      'REAUTHENTICATION_REQUIRED',
    );
    expect(await reason(server.sdk(stale).ChangePassword({ input: { currentPassword: PASSWORD, newPassword: 'another long passphrase' } }))).toBe(
      'REAUTHENTICATION_REQUIRED',
    );
    // Recent, but at aal 1 (a token from before enrollment, say): not the account's highest level.
    const claims = jwt.decode(user.token) as AccessClaims;
    const passwordOnly = server.gatehouse.services.tokens.issue({ id: claims.sub, role: claims.role }, claims.sid, Date.now(), {
      amr: ['pwd'],
      authTime: new Date(),
    }).token;
    expect(await reason(server.sdk(passwordOnly).RegenerateRecoveryCodes())).toBe('REAUTHENTICATION_REQUIRED');
    // Within the window at aal 2: allowed.
    const fresh = agedToken(user.token, 9);
    expect((await server.sdk(fresh).RegenerateRecoveryCodes()).regenerateRecoveryCodes.codes).toHaveLength(10);
    // Nothing changed on the refusals.
    expect((await server.sdk(user.token).MySecondFactor()).me.mfaEnabled).toBe(true);
  });

  it('keeps currentPassword as the step-up for an account without a second factor', async () => {
    const user = await signUp('no-factor');
    const stale = agedToken(user.token, 30);
    expect(await reason(server.sdk(stale).RequestEmailChange({ newEmail: `moved-${user.email}` }))).toBe('REAUTHENTICATION_REQUIRED');
    expect((await server.sdk(stale).RequestEmailChange({ newEmail: `moved-${user.email}`, currentPassword: PASSWORD })).requestEmailChange).toBe(
      true,
    );
    const wrong = await failure(server.sdk(stale).RequestEmailChange({ newEmail: `moved-${user.email}`, currentPassword: 'not my password' }));
    expect(wrong).toMatchObject({ code: 'BAD_USER_INPUT' });
    const changed = await server.sdk(stale).ChangePassword({ input: { currentPassword: PASSWORD, newPassword: 'a much newer passphrase' } });
    expect(changed.changePassword.assurance.level).toBe(1);
  });

  it('reauthenticate proves the user again: fresh tokens of the same session, a new auth_time, then the change goes through', async () => {
    const user = await enrolled('reauth');
    const stale = agedToken(user.token, 20);
    const sid = (jwt.decode(user.token) as AccessClaims).sid;
    expect(await reason(server.sdk(stale).DisableTotp())).toBe('REAUTHENTICATION_REQUIRED');

    const wrongPassword = await failure(server.sdk(stale).Reauthenticate({ input: { password: 'wrong', method: 'TOTP', code: '000000' } }));
    expect(wrongPassword).toMatchObject({
      code: 'BAD_USER_INPUT',
      errors: [expect.objectContaining({ extensions: expect.objectContaining({ field: 'password' }) })],
    });
    const noCode = await failure(server.sdk(stale).Reauthenticate({ input: { password: PASSWORD } }));
    expect(noCode).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await reason(server.sdk(stale).Reauthenticate({ input: { password: PASSWORD, method: 'TOTP', code: '000000' } }))).toBe(
      'MFA_CODE_INVALID',
    );

    clock.advance();
    const { reauthenticate } = await server
      .sdk(stale)
      .Reauthenticate({ input: { password: PASSWORD, method: 'TOTP', code: clock.code(user.secret) } });
    const claims = jwt.decode(reauthenticate.accessToken) as AccessClaims;
    expect(claims).toMatchObject({ sid, aal: 2, amr: ['pwd', 'otp', 'mfa'] });
    expect(claims.auth_time).toBeGreaterThan((jwt.decode(stale) as AccessClaims).auth_time);
    // The old refresh token gave way to the new one.
    expect(await reason(server.sdk().Refresh({ refreshToken: user.refreshToken }))).toBe('TOKEN_INVALID');
    expect((await server.sdk().Refresh({ refreshToken: reauthenticate.refreshToken })).refresh.assurance.level).toBe(2);

    expect((await server.sdk(reauthenticate.accessToken).DisableTotp()).disableTotp).toBe(true);
    const disabled = await em().find(SecurityEvent, { userId: user.id, type: 'MFA_DISABLED' as never });
    expect(disabled).toHaveLength(1);
    expect(expectTokens((await server.sdk().Login({ input: { email: user.email, password: PASSWORD } })).login).assurance.level).toBe(1);
  });

  it('counts wrong second-factor codes in the per-account limits, like wrong passwords', async () => {
    const limited = await startTestServer({ RATE_LIMIT_ACCOUNT_FAILURES: '4/1m' });
    try {
      const limitedClock = new TotpClock(limited);
      const { register } = await limited.sdk().Register({ input: { email: `limited-${Date.now()}@example.com`, password: PASSWORD } });
      const { secret } = await enrollTotp(limited, limitedClock, register.accessToken);
      const { challengeToken } = await challengeFor(limited, register.user.email);
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 4; i++)
        codes.push((await failure(limited.sdk().VerifyMfa({ input: { challengeToken, method: 'TOTP', code: '000000' } }))).code);
      // The login's password counted once, then three wrong codes: the fourth code is over the limit, even a right one.
      expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED']);
      limitedClock.advance();
      const right = await failure(limited.sdk().VerifyMfa({ input: { challengeToken, method: 'TOTP', code: limitedClock.code(secret) } }));
      expect(right.code).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });
});

describe('enrollment', () => {
  it('returns the secret, an otpauth URI and a QR code; a wrong first code is refused; confirming gives 10 codes once', async () => {
    const user = await signUp('enroll');
    expect((await server.sdk(user.token).MySecondFactor()).me).toEqual({ id: user.id, mfaEnabled: false, recoveryCodesRemaining: 0 });
    const first = (await server.sdk(user.token).StartTotpEnrollment()).startTotpEnrollment;
    const { startTotpEnrollment } = await server.sdk(user.token).StartTotpEnrollment();
    expect(startTotpEnrollment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(startTotpEnrollment.secret).not.toBe(first.secret);
    const uri = new URL(startTotpEnrollment.otpauthUri);
    expect([uri.protocol, uri.host, decodeURIComponent(uri.pathname)]).toEqual(['otpauth:', 'totp', `/gatehouse:${user.email}`]);
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ secret: startTotpEnrollment.secret, algorithm: 'SHA1', digits: '6', period: '30' });
    expect(startTotpEnrollment.qrCodeSvg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>\s*$/);

    // The first enrollment's secret was replaced.
    expect(await failure(server.sdk(user.token).ConfirmTotpEnrollment({ code: clock.code(first.secret) }))).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await failure(server.sdk(user.token).ConfirmTotpEnrollment({ code: clock.code(startTotpEnrollment.secret, 2) }))).toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    const { confirmTotpEnrollment } = await server.sdk(user.token).ConfirmTotpEnrollment({ code: clock.code(startTotpEnrollment.secret, -1) });
    expect(confirmTotpEnrollment).toEqual({ codes: expect.any(Array), remaining: 10 });
    expect((await server.sdk(user.token).MySecondFactor()).me).toEqual({ id: user.id, mfaEnabled: true, recoveryCodesRemaining: 10 });
    expect((await failure(server.sdk(user.token).StartTotpEnrollment())).code).toBe('MFA_ALREADY_ENABLED');
    expect((await failure(server.sdk(user.token).ConfirmTotpEnrollment({ code: clock.code(startTotpEnrollment.secret) }))).code).toBe(
      'MFA_ALREADY_ENABLED',
    );
    const [event] = await em().find(SecurityEvent, { userId: user.id, type: 'MFA_ENROLLED' as never });
    expect(event.details).toEqual({ method: 'TOTP' });
  });

  it('answers MFA_NOT_ENABLED to disable and regenerate without a factor, and BAD_USER_INPUT to a confirm without an enrollment', async () => {
    const user = await signUp('none');
    expect((await failure(server.sdk(user.token).DisableTotp())).code).toBe('MFA_NOT_ENABLED');
    expect((await failure(server.sdk(user.token).RegenerateRecoveryCodes())).code).toBe('MFA_NOT_ENABLED');
    expect(await failure(server.sdk(user.token).ConfirmTotpEnrollment({ code: '123456' }))).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('REQUIRE_MFA_FOR_ROLES and the admin reset', () => {
  async function admin(label: string) {
    const user = await signUp(label);
    await em().nativeUpdate(User, { id: user.id }, { role: Role.ADMIN });
    return { ...user, ...(await logIn(server, user.email)) };
  }

  it('confines an admin without a second factor to enrolling one; reauthenticate with the new factor opens the rest', async () => {
    const boss = await admin('boss');
    expect(boss.assurance.level).toBe(1);
    expect(await reason(server.sdk(boss.token).Users())).toBe('MFA_ENROLLMENT_REQUIRED');
    expect(await reason(server.sdk(boss.token).Sessions())).toBe('MFA_ENROLLMENT_REQUIRED');
    expect((await server.sdk(boss.token).Me()).me.role).toBe('ADMIN');
    const { secret } = await enrollTotp(server, clock, boss.token);
    // Still the aal-1 session until it proves the factor.
    expect(await reason(server.sdk(boss.token).Users())).toBe('MFA_ENROLLMENT_REQUIRED');
    clock.advance();
    const { reauthenticate } = await server
      .sdk(boss.token)
      .Reauthenticate({ input: { password: PASSWORD, method: 'TOTP', code: clock.code(secret) } });
    expect((await server.sdk(reauthenticate.accessToken).Users({ first: 1 })).users.edges).toHaveLength(1);
    // Logout stays open to a confined session.
    const other = await admin('boss2');
    expect((await server.sdk(other.token).Logout()).logout).toBe(true);
  });

  it("resetUserMfa removes the factor, records it, mails the user, and needs the admin's own recent second factor", async () => {
    const boss = await admin('resetter');
    const { secret } = await enrollTotp(server, clock, boss.token);
    const bossTokens = await signInWithTotp(server, clock, boss.email, secret);
    const user = await enrolled('lost-phone');

    expect(await reason(server.sdk(agedToken(bossTokens.accessToken, 15)).ResetUserMfa({ id: user.id }))).toBe('REAUTHENTICATION_REQUIRED');
    expect((await failure(server.sdk(user.token).ResetUserMfa({ id: user.id }))).code).toBe('FORBIDDEN');
    const { resetUserMfa } = await server.sdk(bossTokens.accessToken).ResetUserMfa({ id: user.id });
    expect(resetUserMfa).toMatchObject({ id: user.id, mfaEnabled: false });
    expect((await failure(server.sdk(bossTokens.accessToken).ResetUserMfa({ id: user.id }))).code).toBe('MFA_NOT_ENABLED');
    expect((await failure(server.sdk(bossTokens.accessToken).ResetUserMfa({ id: '00000000-0000-4000-8000-000000000000' }))).code).toBe('NOT_FOUND');

    const [event] = await em().find(SecurityEvent, { userId: user.id, type: 'MFA_RESET_BY_ADMIN' as never });
    expect(event.details).toEqual({ by: boss.id });
    // The user sees that an admin did it, not which one (as for every admin action).
    const { myEvents } = await server.sdk(user.token).MyEvents();
    expect(myEvents.edges.find((e) => e.node.type === 'MFA_RESET_BY_ADMIN')?.node.details).toEqual({});
    const mail = await openMailbox(server).nextMail(user.email);
    expect(mail.template).toBe('secondFactorReset');
    expect(mail.subject).toMatch(/second factor/);
    // The password alone signs in again.
    expect(expectTokens((await server.sdk().Login({ input: { email: user.email, password: PASSWORD } })).login).assurance.level).toBe(1);
  });
});

describe('assurance for other services', () => {
  it('docs/snippets/require-aal2.ts accepts an aal-2 token through the JWKS and refuses an aal-1 one', async () => {
    const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const es = await startTestServer({ JWT_ALGORITHM: 'ES256', JWT_KEYS: JSON.stringify([{ kid: 'k1', privateKey: pem() }]) });
    try {
      const esClock = new TotpClock(es);
      const { register } = await es.sdk().Register({ input: { email: `downstream-${Date.now()}@example.com`, password: PASSWORD } });
      const { secret } = await enrollTotp(es, esClock, register.accessToken);
      const strong = await signInWithTotp(es, esClock, register.user.email, secret);
      const run = async (token: string) => {
        const { stdout, stderr } = await promisify(execFile)('node', ['-r', 'ts-node/register/transpile-only', 'docs/snippets/require-aal2.ts'], {
          cwd: join(__dirname, '../..'),
          env: { ...process.env, NODE_OPTIONS: '', GATEHOUSE_URL: es.graphqlUrl, ACCESS_TOKEN: token },
        });
        expect(stderr).toBe('');
        return stdout;
      };
      expect(await run(strong.accessToken)).toBe('aal 2: pwd otp mfa\n');
      expect(await run(register.accessToken)).toBe('refused: second factor required (aal 1)\n');
      expect(await run(`${strong.accessToken.slice(0, -4)}AAAA`)).toMatch(/^refused: signature verification failed/);
    } finally {
      await es.close();
    }
  });
});
