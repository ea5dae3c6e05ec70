import jwt from 'jsonwebtoken';
import type { AccountEvent } from '../../client/live';
import { Role } from '../../src/users/role';
import { User } from '../../src/users/user.entity';
import { factories, logIn, signUp as signUpOn } from '../helpers/factories';
import { failure } from '../helpers/failure';
import { RawLiveSocket } from '../helpers/live-socket';
import { openMailbox, startServerWithMailbox, tokenOf } from '../helpers/mailbox';
import { startTestServer, type TestServer } from '../helpers/test-server';

// What the admin console does to one user's account besides role and disable (admin.test.ts): their
// sessions, and the mails of the recovery flows, each recorded with the acting admin.

let server: TestServer;
let admin: { id: string; token: string };
beforeAll(async () => {
  server = await startServerWithMailbox();
  admin = await signUp('admin');
  await makeAdmin(admin.id);
});
afterAll(() => server?.close());

const { em, signUp } = factories(() => server);
const makeAdmin = (id: string) => em().nativeUpdate(User, { id }, { role: Role.ADMIN });
const asAdmin = () => server.sdk(admin.token);
const sid = (token: string) => (jwt.decode(token) as { sid: string }).sid;
const NOBODY = '00000000-0000-4000-8000-000000000000';

type AdminEventType =
  'SESSION_REVOKED' | 'PASSWORD_RESET_REQUESTED' | 'EMAIL_VERIFICATION_REQUESTED' | 'USER_DISABLED' | 'USER_ENABLED' | 'ROLE_CHANGED';
const eventsOf = async (userId: string, type: AdminEventType) =>
  (await asAdmin().SecurityEvents({ type, userId })).securityEvents.edges.map((e) => e.node);

describe('userSessions', () => {
  it("lists the user's active sessions, last opened first, without ended ones", async () => {
    const user = await signUp();
    const second = await logIn(server, user.email);
    const third = await logIn(server, user.email);
    // Used last, opened first: it stays last.
    await server.sdk().Refresh({ refreshToken: user.refreshToken });
    await server.sdk(second.token).Logout();
    const { userSessions } = await asAdmin().UserSessions({ userId: user.id });
    expect(userSessions.map((s) => s.id)).toEqual([sid(third.token), sid(user.token)]);
    expect(userSessions[0]).toMatchObject({ ip: '127.0.0.1', current: false, expiresAt: expect.any(String) });
  });

  it('answers NOT_FOUND for no such user, FORBIDDEN to a USER and UNAUTHENTICATED without a token, as every admin field here', async () => {
    expect((await failure(asAdmin().UserSessions({ userId: NOBODY }))).code).toBe('NOT_FOUND');
    expect((await failure(asAdmin().UserSessions({ userId: 'nope' }))).code).toBe('NOT_FOUND');
    const user = await signUp();
    const calls = (sdk: ReturnType<TestServer['sdk']>) => [
      () => sdk.UserSessions({ userId: user.id }),
      () => sdk.RevokeUserSession({ userId: user.id, sessionId: sid(user.token) }),
      () => sdk.RevokeUserSessions({ userId: user.id }),
      () => sdk.SendPasswordResetMail({ userId: user.id }),
      () => sdk.SendVerificationMail({ userId: user.id }),
    ];
    for (const call of calls(server.sdk(user.token))) expect((await failure(call())).code).toBe('FORBIDDEN');
    for (const call of calls(server.sdk())) expect((await failure(call())).code).toBe('UNAUTHENTICATED');
    // Nothing was ended by the refused calls.
    expect((await server.sdk(user.token).Me()).me.id).toBe(user.id);
  });
});

describe('revokeUserSession', () => {
  it('ends that session at once (access and refresh token), not the others, and records the admin', async () => {
    const user = await signUp();
    const other = await logIn(server, user.email);
    expect((await asAdmin().RevokeUserSession({ userId: user.id, sessionId: sid(other.token).toUpperCase() })).revokeUserSession).toBe(true);
    expect((await failure(server.sdk(other.token).Me())).reason).toBe('TOKEN_REVOKED');
    expect((await failure(server.sdk().Refresh({ refreshToken: other.refreshToken }))).reason).toBe('SESSION_REVOKED');
    expect((await server.sdk(user.token).Me()).me.id).toBe(user.id);
    expect((await asAdmin().UserSessions({ userId: user.id })).userSessions.map((s) => s.id)).toEqual([sid(user.token)]);

    const [event] = await eventsOf(user.id, 'SESSION_REVOKED');
    expect(event).toMatchObject({ userId: user.id, sessionId: sid(admin.token), details: { revokedSessionId: sid(other.token), by: admin.id } });
    // The user sees that the session was ended, not by which admin.
    const { myEvents } = await server.sdk(user.token).MyEvents();
    expect(myEvents.edges.find((e) => e.node.type === 'SESSION_REVOKED')?.node.details).toEqual({ revokedSessionId: sid(other.token) });
  });

  it("answers NOT_FOUND for another user's session, a malformed id, or no such user, and ends nothing", async () => {
    const user = await signUp();
    const stranger = await signUp();
    expect((await failure(asAdmin().RevokeUserSession({ userId: user.id, sessionId: sid(stranger.token) }))).code).toBe('NOT_FOUND');
    expect((await failure(asAdmin().RevokeUserSession({ userId: user.id, sessionId: 'nope' }))).code).toBe('NOT_FOUND');
    expect((await failure(asAdmin().RevokeUserSession({ userId: NOBODY, sessionId: sid(user.token) }))).code).toBe('NOT_FOUND');
    expect((await server.sdk(stranger.token).Me()).me.id).toBe(stranger.id);
    expect(await eventsOf(user.id, 'SESSION_REVOKED')).toEqual([]);
  });

  it('closes the live socket of that session with 4401, reason REVOKED_BY_ADMIN', async () => {
    const user = await signUp('live');
    const socket = await RawLiveSocket.watching(server.baseUrl, user.token, 'subscription { sessionEvents { type sessionId current reason } }');
    await asAdmin().RevokeUserSession({ userId: user.id, sessionId: sid(user.token) });
    expect((await socket.closed).code).toBe(4401);
    const events = socket.data('s').map((payload) => (payload as { data: { sessionEvents: AccountEvent } }).data.sessionEvents);
    expect(events.at(-1)).toEqual({ type: 'SESSION_REVOKED', sessionId: sid(user.token), current: true, reason: 'REVOKED_BY_ADMIN' });
  });
});

describe('revokeUserSessions', () => {
  it('ends every session of the user and says how many; the account stays enabled', async () => {
    const user = await signUp();
    const other = await logIn(server, user.email);
    expect((await asAdmin().RevokeUserSessions({ userId: user.id })).revokeUserSessions).toBe(2);
    for (const token of [user.token, other.token]) expect((await failure(server.sdk(token).Me())).reason).toBe('TOKEN_REVOKED');
    expect((await asAdmin().UserSessions({ userId: user.id })).userSessions).toEqual([]);
    expect((await asAdmin().RevokeUserSessions({ userId: user.id })).revokeUserSessions).toBe(0);
    expect((await eventsOf(user.id, 'SESSION_REVOKED')).map((e) => e.details)).toEqual([
      { scope: 'ALL', sessions: 0, by: admin.id },
      { scope: 'ALL', sessions: 2, by: admin.id },
    ]);
    // Signing in again works: sessions ended, not the account.
    await logIn(server, user.email);
    expect((await failure(asAdmin().RevokeUserSessions({ userId: NOBODY }))).code).toBe('NOT_FOUND');
  });
});

describe('sendPasswordResetMail', () => {
  it("mails the user requestPasswordReset's link, which resets the password, and records the admin", async () => {
    const user = await signUp('reset');
    expect((await asAdmin().SendPasswordResetMail({ userId: user.id })).sendPasswordResetMail).toBe(true);
    const mail = await openMailbox(server).nextMail(user.email);
    expect(mail.template).toBe('resetPassword');
    await server.sdk().ResetPassword({ input: { token: tokenOf(mail.link), newPassword: 'an admin sent me this link' } });
    await logIn(server, user.email, 'an admin sent me this link');
    const [event] = await eventsOf(user.id, 'PASSWORD_RESET_REQUESTED');
    expect(event).toMatchObject({ userId: user.id, details: { by: admin.id } });
  });

  it('answers NOT_FOUND for no such user and BAD_USER_INPUT for a disabled account, and mails nothing', async () => {
    const user = await signUp('disabled');
    await asAdmin().DisableUser({ id: user.id });
    const refused = await failure(asAdmin().SendPasswordResetMail({ userId: user.id }));
    expect(refused.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'userId' });
    expect((await failure(asAdmin().SendPasswordResetMail({ userId: NOBODY }))).code).toBe('NOT_FOUND');
    expect(await openMailbox(server).all(user.email)).toEqual([]);
    expect(await eventsOf(user.id, 'PASSWORD_RESET_REQUESTED')).toEqual([]);
  });
});

describe('sendVerificationMail', () => {
  it("mails the user requestEmailVerification's link, which verifies the address; once verified, BAD_USER_INPUT", async () => {
    const user = await signUp('verify');
    expect((await asAdmin().SendVerificationMail({ userId: user.id })).sendVerificationMail).toBe(true);
    const mail = await openMailbox(server).nextMail(user.email);
    expect(mail.template).toBe('verifyEmail');
    expect((await server.sdk().VerifyEmail({ token: tokenOf(mail.link) })).verifyEmail.emailVerifiedAt).toBeTruthy();
    const [event] = await eventsOf(user.id, 'EMAIL_VERIFICATION_REQUESTED');
    expect(event).toMatchObject({ severity: 'INFO', userId: user.id, details: { by: admin.id } });

    const again = await failure(asAdmin().SendVerificationMail({ userId: user.id }));
    expect(again.errors[0]).toMatchObject({
      message: 'This account’s address is verified already.',
      extensions: { code: 'BAD_USER_INPUT', field: 'userId' },
    });
    expect(await eventsOf(user.id, 'EMAIL_VERIFICATION_REQUESTED')).toHaveLength(1);
  });
});

describe('every admin action', () => {
  it('names the acting admin in details.by, which the user does not see', async () => {
    const user = await signUp('acted-on');
    await asAdmin().SetUserRole({ id: user.id, role: 'ADMIN' });
    await asAdmin().SetUserRole({ id: user.id, role: 'USER' });
    await asAdmin().DisableUser({ id: user.id });
    await asAdmin().EnableUser({ id: user.id });
    const signedIn = await logIn(server, user.email);
    await asAdmin().RevokeUserSession({ userId: user.id, sessionId: sid(signedIn.token) });
    await asAdmin().RevokeUserSessions({ userId: user.id });
    await asAdmin().SendPasswordResetMail({ userId: user.id });
    await asAdmin().SendVerificationMail({ userId: user.id });
    const types: AdminEventType[] = [
      'ROLE_CHANGED',
      'USER_DISABLED',
      'USER_ENABLED',
      'SESSION_REVOKED',
      'PASSWORD_RESET_REQUESTED',
      'EMAIL_VERIFICATION_REQUESTED',
    ];
    for (const type of types) {
      const events = await eventsOf(user.id, type);
      expect({ type, by: events.map((e) => e.details.by) }).toEqual({ type, by: events.map(() => admin.id) });
      expect({ type, count: events.length > 0 }).toEqual({ type, count: true });
    }
    // The user's own history says what happened, never who did it.
    const own = await logIn(server, user.email);
    const { myEvents } = await server.sdk(own.token).MyEvents({ first: 50 });
    expect(myEvents.edges.filter((e) => 'by' in e.node.details)).toEqual([]);
    expect(myEvents.edges.filter((e) => (types as string[]).includes(e.node.type)).length).toBeGreaterThanOrEqual(types.length);
  });
});

describe('without mail', () => {
  it('answers MAIL_UNAVAILABLE, as the other mail flows do', async () => {
    const production = await startTestServer({ NODE_ENV: 'production', BCRYPT_COST: '10' });
    try {
      const boss = await signUpOn(production, 'boss');
      await production.gatehouse.database.orm.em.fork().nativeUpdate(User, { id: boss.id }, { role: Role.ADMIN });
      const user = await signUpOn(production, 'user');
      for (const call of [
        () => production.sdk(boss.token).SendPasswordResetMail({ userId: user.id }),
        () => production.sdk(boss.token).SendVerificationMail({ userId: user.id }),
        () => production.sdk().RequestPasswordReset({ email: user.email }),
      ]) {
        expect((await failure(call())).code).toBe('MAIL_UNAVAILABLE');
      }
    } finally {
      await production.close();
    }
  });
});
