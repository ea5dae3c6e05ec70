import jwt from 'jsonwebtoken';
import { User } from '../../src/users/user.entity';
import { Role } from '../../src/users/role';
import { factories, logIn } from '../helpers/factories';
import { RawLiveSocket, sdkLive, type Closed } from '../helpers/live-socket';
import { challengeFor, enrollTotp, TotpClock } from '../helpers/mfa';
import { startTestServer, PASSWORD, type TestServer } from '../helpers/test-server';
import type { AccountEvent } from '../../client/live';

// What the live channel pushes, and how a socket dies with its session: on both databases (PostgreSQL
// announces changes with NOTIFY; the embedded database is polled).

let server: TestServer;
const { em, signUp } = factories(() => server);

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const SESSION_EVENTS = 'subscription { sessionEvents { type sessionId current reason } }';
const sid = (token: string) => (jwt.decode(token) as { sid: string }).sid;

/** A signed-in socket with sessionEvents running as subscription "s". */
const watch = (token: string) => RawLiveSocket.watching(server.baseUrl, token, SESSION_EVENTS);

const events = (socket: RawLiveSocket) =>
  socket.data('s').map((payload) => (payload as { data: { sessionEvents: AccountEvent } }).data.sessionEvents);
const untilEvent = (socket: RawLiveSocket, match: (event: AccountEvent) => boolean) =>
  socket.until(() => events(socket).some(match)).then(() => events(socket).find(match));

describe('sessionEvents', () => {
  it('tells a socket about a new sign-in and about another session ended, then its own end, then closes with 4401', async () => {
    const user = await signUp('live-events');
    const socket = await watch(user.token);
    const second = await logIn(server, user.email);
    expect(await untilEvent(socket, (e) => e.type === 'SIGNED_IN')).toEqual({
      type: 'SIGNED_IN',
      sessionId: sid(second.token),
      current: false,
      reason: null,
    });

    await server.sdk(user.token).RevokeSession({ id: sid(second.token) });
    expect(await untilEvent(socket, (e) => e.type === 'SESSION_REVOKED')).toEqual({
      type: 'SESSION_REVOKED',
      sessionId: sid(second.token),
      current: false,
      reason: 'REVOKED_BY_USER',
    });
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);

    const third = await logIn(server, user.email);
    await server.sdk(third.token).Logout({ scope: 'ALL' });
    const closed: Closed = await socket.closed;
    expect(closed).toEqual({ code: 4401, reason: 'session ended' });
    expect(events(socket).at(-1)).toEqual({ type: 'SESSION_REVOKED', sessionId: sid(user.token), current: true, reason: 'LOGOUT' });
    // The event went out before the close: the client read it on the socket, then the complete.
    expect(socket.messages.at(-1)).toEqual({ id: 's', type: 'complete' });
  });

  it('closes the sockets of every session when the password changes, with reason PASSWORD_CHANGED', async () => {
    const user = await signUp('live-password');
    const other = await logIn(server, user.email);
    const [mine, theirs] = [await watch(user.token), await watch(other.token)];
    await server.sdk(user.token).ChangePassword({ input: { currentPassword: PASSWORD, newPassword: 'another correct horse battery' } });
    for (const socket of [mine, theirs]) {
      expect((await socket.closed).code).toBe(4401);
      expect(events(socket).at(-1)).toMatchObject({ type: 'SESSION_REVOKED', current: true, reason: 'PASSWORD_CHANGED' });
    }
  });

  it("closes every socket of a disabled user (an admin's disableUser)", async () => {
    const admin = await signUp('live-admin');
    await em().nativeUpdate(User, { id: admin.id }, { role: Role.ADMIN });
    const user = await signUp('live-disabled');
    const other = await logIn(server, user.email);
    const sockets = [await watch(user.token), await watch(other.token), await RawLiveSocket.signIn(server.baseUrl, other.token)];
    await server.sdk(admin.token).DisableUser({ id: user.id });
    expect((await Promise.all(sockets.map((socket) => socket.closed))).map((closed) => closed.code)).toEqual([4401, 4401, 4401]);
    expect(events(sockets[0]).at(-1)).toMatchObject({ type: 'SESSION_REVOKED', current: true, reason: 'USER_DISABLED' });
  });

  it('tells the account about its second factor (MFA_CHANGED) when it is enrolled and when a recovery code is used', async () => {
    const user = await signUp('live-mfa');
    const socket = await watch(user.token);
    const clock = new TotpClock(server);
    const { recoveryCodes } = await enrollTotp(server, clock, user.token);
    expect(await untilEvent(socket, (e) => e.type === 'MFA_CHANGED')).toEqual({
      type: 'MFA_CHANGED',
      sessionId: sid(user.token),
      current: true,
      reason: null,
    });
    const challenge = await challengeFor(server, user.email);
    await server.sdk().VerifyMfa({ input: { challengeToken: challenge.challengeToken, method: 'RECOVERY_CODE', code: recoveryCodes[0] } });
    await socket.until(() => events(socket).filter((e) => e.type === 'MFA_CHANGED').length === 2);
    // Enrolling keeps the session and its socket.
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.ws.close();
  });

  it('delivers through the SDK helper, which reports the 4401 close', async () => {
    const user = await signUp('live-sdk');
    let closedWith!: (code: number) => void;
    const closed = new Promise<number>((resolve) => (closedWith = resolve));
    const live = sdkLive(
      server.baseUrl,
      () => user.token,
      (code) => closedWith(code),
    );
    const received: AccountEvent[] = [];
    const ended = new Promise<unknown>((resolve) => live.sessionEvents((event) => received.push(event), resolve));
    // Renewal over the socket answers once the socket is open, and so after the subscribe was sent.
    expect(Date.parse(await live.renewToken(user.token))).toBeGreaterThan(0);
    await server.sdk(user.token).Logout({ scope: 'CURRENT' });
    await ended;
    expect(received.at(-1)).toMatchObject({ type: 'SESSION_REVOKED', current: true });
    expect(await closed).toBe(4401);
    await live.dispose();
  });
});

describe('securityEvents (admins)', () => {
  it('pushes the security events that the securityEvents query lists, of the type asked for', async () => {
    const admin = await signUp('live-sec-admin');
    await em().nativeUpdate(User, { id: admin.id }, { role: Role.ADMIN });
    const socket = await RawLiveSocket.signIn(server.baseUrl, admin.token);
    socket.subscribe('e', 'subscription { securityEvents(type: LOGIN_FAILED) { id type userId count } }');
    const target = await signUp('live-sec-target');
    // Until the subscription runs, failed logins go unseen: repeat until one arrives.
    const failed = () =>
      server
        .sdk()
        .Login({ input: { email: target.email, password: 'wrong password!' } })
        .catch(() => undefined);
    for (let attempt = 0; attempt < 100 && !socket.messages.some((m) => m.id === 'e'); attempt++) {
      await failed();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [first] = socket.data('e') as { data: { securityEvents: { type: string; userId: string } } }[];
    expect(first.data.securityEvents).toMatchObject({ type: 'LOGIN_FAILED', userId: target.id });
    const { securityEvents } = await server.sdk(admin.token).SecurityEvents({ type: 'LOGIN_FAILED', userId: target.id });
    expect(securityEvents.edges.map((edge) => edge.node.id)).toContain((first.data.securityEvents as unknown as { id: string }).id);
    socket.close();
  });

  it('is FORBIDDEN to a user who is not an admin, and ends with FORBIDDEN when the role is taken away', async () => {
    const user = await signUp('live-sec-user');
    const socket = await watch(user.token);
    socket.subscribe('e', 'subscription { securityEvents { id } }');
    await socket.until((m) => m.some((x) => x.id === 'e' && x.type === 'complete'));
    expect(socket.data('e')).toMatchObject([{ errors: [{ extensions: { code: 'FORBIDDEN' }, path: ['securityEvents'] }] }]);

    const admin = await signUp('live-sec-demoted');
    await em().nativeUpdate(User, { id: admin.id }, { role: Role.ADMIN });
    const other = await signUp('live-sec-other-admin');
    await em().nativeUpdate(User, { id: other.id }, { role: Role.ADMIN });
    const adminSocket = await watch(admin.token);
    adminSocket.subscribe('e', 'subscription { securityEvents { id } }');
    // Running once a renewal sent after it has been answered.
    adminSocket.send({
      id: 'r2',
      type: 'subscribe',
      payload: { query: 'mutation ($t: String!) { renewLiveToken(accessToken: $t) }', variables: { t: admin.token } },
    });
    await adminSocket.until((m) => m.some((x) => x.id === 'r2' && x.type === 'complete'));
    await server.sdk(other.token).SetUserRole({ id: admin.id, role: 'USER' });
    await adminSocket.until((m) => m.some((x) => x.id === 'e' && x.type !== 'next'));
    expect(adminSocket.messages.filter((m) => m.id === 'e').at(-1)).toMatchObject({
      type: 'error',
      payload: [{ extensions: { code: 'FORBIDDEN' } }],
    });
    expect(await untilEvent(adminSocket, (e) => e.type === 'ROLE_CHANGED')).toMatchObject({ type: 'ROLE_CHANGED', current: false });
    expect(adminSocket.ws.readyState).toBe(adminSocket.ws.OPEN);
    adminSocket.close();
    socket.close();
  });
});

describe('over the socket', () => {
  it('serves only subscriptions and renewLiveToken: a query or another mutation is a BAD_REQUEST', async () => {
    const user = await signUp('live-only');
    const socket = await RawLiveSocket.signIn(server.baseUrl, user.token);
    socket.subscribe('q', '{ me { id } }');
    socket.subscribe('m', 'mutation { logout }');
    await socket.until((m) => m.filter((x) => x.type === 'error').length === 2);
    for (const id of ['q', 'm']) {
      expect(socket.messages.find((m) => m.id === id)).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'BAD_REQUEST' } }] });
    }
    socket.close();
  });

  it("refuses to renew with another user's token (BAD_USER_INPUT) and keeps the socket", async () => {
    const user = await signUp('live-renew-a');
    const stranger = await signUp('live-renew-b');
    const socket = await RawLiveSocket.signIn(server.baseUrl, user.token);
    socket.send({
      id: 'r',
      type: 'subscribe',
      payload: { query: 'mutation ($t: String!) { renewLiveToken(accessToken: $t) }', variables: { t: stranger.token } },
    });
    await socket.until((m) => m.some((x) => x.id === 'r' && x.type === 'complete'));
    expect(socket.data('r')).toMatchObject([{ errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'accessToken' } }] }]);
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.close();
  });
});
