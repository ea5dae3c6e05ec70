import { Role } from '../../src/users/role';
import { User } from '../../src/users/user.entity';
import { factories, expectTokens } from '../helpers/factories';
import { failure } from '../helpers/failure';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/test-server';

let server: TestServer;
let admin: { id: string; email: string; token: string };
beforeAll(async () => {
  // A day-long dedupe window, so repeated events in one test never straddle two windows.
  server = await startTestServer({ SECURITY_EVENT_DEDUPE_WINDOW: '1d' });
  admin = await signUp('admin');
  await setRoleInDatabase(admin.id, Role.ADMIN);
});
afterAll(() => server?.close());

const { em, signUp } = factories(() => server);
const setRoleInDatabase = (id: string, role: Role) => em().nativeUpdate(User, { id }, { role });
const asAdmin = () => server.sdk(admin.token);

describe('users', () => {
  it('pages through users newest first with opaque cursors, and searches by email', async () => {
    const tag = `page${Date.now()}`;
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await signUp(`${tag}-${i}`));
    const seen: string[] = [];
    let after: string | null | undefined;
    for (let page = 0; page < 3; page++) {
      const { users } = await asAdmin().Users({ first: 2, after, search: tag.toUpperCase() });
      seen.push(...users.edges.map((e) => e.node.email));
      after = users.pageInfo.endCursor;
      expect(users.pageInfo.hasNextPage).toBe(page < 2);
    }
    expect(seen).toEqual(created.map((u) => u.email).reverse());
  });

  it('treats search as text, not a pattern', async () => {
    const { users } = await asAdmin().Users({ search: '%' });
    expect(users.count).toBe(0);
  });

  it('rejects a bad page size or cursor as BAD_USER_INPUT', async () => {
    expect((await failure(asAdmin().Users({ first: 101 }))).errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    expect((await failure(asAdmin().Users({ first: 0 }))).errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    expect((await failure(asAdmin().Users({ after: 'garbage' }))).errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('is FORBIDDEN to a USER, as are the admin mutations', async () => {
    const user = await signUp();
    const sdk = server.sdk(user.token);
    const calls = [
      () => sdk.Users(),
      () => sdk.SetUserRole({ id: user.id, role: 'ADMIN' }),
      () => sdk.DisableUser({ id: admin.id }),
      () => sdk.EnableUser({ id: user.id }),
      () => sdk.SecurityEvents(),
    ];
    for (const call of calls) {
      expect((await failure(call())).code).toBe('FORBIDDEN');
    }
  });
});

describe('setUserRole', () => {
  it('changes the role, effective on the user’s next request with the same token', async () => {
    const user = await signUp();
    expect((await failure(server.sdk(user.token).Users())).code).toBe('FORBIDDEN');
    expect((await asAdmin().SetUserRole({ id: user.id, role: 'ADMIN' })).setUserRole.role).toBe('ADMIN');
    expect((await server.sdk(user.token).Users({ first: 1 })).users.count).toBe(1);
    await asAdmin().SetUserRole({ id: user.id, role: 'USER' });
    expect((await failure(server.sdk(user.token).Users())).code).toBe('FORBIDDEN');
    const { securityEvents } = await asAdmin().SecurityEvents({ type: 'ROLE_CHANGED', userId: user.id });
    expect(securityEvents.edges.map((e) => e.node.details)).toEqual([
      { from: 'ADMIN', to: 'USER', by: admin.id },
      { from: 'USER', to: 'ADMIN', by: admin.id },
    ]);
    // The user sees that it happened, not which admin did it.
    const { myEvents } = await server.sdk(user.token).MyEvents();
    expect(myEvents.edges.filter((e) => e.node.type === 'ROLE_CHANGED').map((e) => e.node.details)).toEqual([
      { from: 'ADMIN', to: 'USER' },
      { from: 'USER', to: 'ADMIN' },
    ]);
  });

  it('answers NOT_FOUND for an unknown or malformed id', async () => {
    expect((await failure(asAdmin().SetUserRole({ id: '00000000-0000-4000-8000-000000000000', role: 'ADMIN' }))).code).toBe('NOT_FOUND');
    expect((await failure(asAdmin().DisableUser({ id: 'nope' }))).code).toBe('NOT_FOUND');
  });
});

describe('disableUser and enableUser', () => {
  it('ends every session at once and refuses login and refresh; enabling allows login again', async () => {
    const user = await signUp();
    const second = expectTokens((await server.sdk().Login({ input: { email: user.email, password: PASSWORD } })).login);

    expect((await asAdmin().DisableUser({ id: user.id })).disableUser.disabledAt).toBeTruthy();
    for (const token of [user.token, second.accessToken]) {
      expect((await failure(server.sdk(token).Me())).reason).toBe('TOKEN_REVOKED');
    }
    expect((await failure(server.sdk().Refresh({ refreshToken: user.refreshToken }))).reason).toBe('USER_DISABLED');
    expect((await failure(server.sdk().Login({ input: { email: user.email, password: PASSWORD } }))).reason).toBe('USER_DISABLED');
    // A wrong password still gets the generic answer: "disabled" is only said to someone who knows the password.
    expect((await failure(server.sdk().Login({ input: { email: user.email, password: 'wrong password!' } }))).reason).toBe('INVALID_CREDENTIALS');

    expect((await asAdmin().EnableUser({ id: user.id })).enableUser.disabledAt).toBeNull();
    const login = expectTokens((await server.sdk().Login({ input: { email: user.email, password: PASSWORD } })).login);
    expect((await server.sdk(login.accessToken).Me()).me.id).toBe(user.id);
    // Sessions ended by the disable stay ended.
    expect((await failure(server.sdk(second.accessToken).Me())).reason).toBe('TOKEN_REVOKED');
  });
});

describe('the last admin', () => {
  it('cannot be demoted or disabled, by themselves or anyone', async () => {
    // Make `admin` the only enabled admin.
    await em().nativeUpdate(User, { role: Role.ADMIN, id: { $ne: admin.id } }, { role: Role.USER });
    expect((await failure(asAdmin().SetUserRole({ id: admin.id, role: 'USER' }))).code).toBe('LAST_ADMIN');
    expect((await failure(asAdmin().DisableUser({ id: admin.id }))).code).toBe('LAST_ADMIN');
    expect((await asAdmin().Me()).me.role).toBe('ADMIN');
    // Setting the same role is not a change.
    expect((await asAdmin().SetUserRole({ id: admin.id, role: 'ADMIN' })).setUserRole.role).toBe('ADMIN');
  });

  // Decided by a database lock; meaningful on PostgreSQL (the embedded database runs one transaction at a time).
  it('holds under a race: two admins demoting each other at once leave exactly one admin', async () => {
    for (let round = 0; round < 5; round++) {
      await em().nativeUpdate(User, { role: Role.ADMIN, id: { $ne: admin.id } }, { role: Role.USER });
      await setRoleInDatabase(admin.id, Role.ADMIN);
      const other = await signUp('admin2');
      await setRoleInDatabase(other.id, Role.ADMIN);
      const results = await Promise.allSettled([
        asAdmin().SetUserRole({ id: other.id, role: 'USER' }),
        server.sdk(other.token).SetUserRole({ id: admin.id, role: 'USER' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      // The loser is refused LAST_ADMIN when both requests passed authorization before either committed
      // (the lock decides), or FORBIDDEN when the winner had committed first: by then the loser is no longer
      // an admin. Either way exactly one admin is left, which is what this test is about.
      const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(['LAST_ADMIN', 'FORBIDDEN']).toContain((loser.reason as { code: string }).code);
      expect(await em().count(User, { role: Role.ADMIN, disabledAt: null })).toBe(1);
    }
    // Restore `admin` for the tests after this one.
    await em().nativeUpdate(User, { role: Role.ADMIN, id: { $ne: admin.id } }, { role: Role.USER });
    await setRoleInDatabase(admin.id, Role.ADMIN);
  });
});

describe('security events', () => {
  it('records failed logins with user, IP and user agent, and counts repeats on one row', async () => {
    const user = await signUp();
    for (let i = 0; i < 3; i++) {
      await failure(server.sdk().Login({ input: { email: user.email, password: `wrong password ${i}` } }));
    }
    const { securityEvents } = await asAdmin().SecurityEvents({ type: 'LOGIN_FAILED', userId: user.id });
    expect(securityEvents.edges).toHaveLength(1);
    expect(securityEvents.edges[0].node).toMatchObject({ type: 'LOGIN_FAILED', severity: 'WARNING', userId: user.id, ip: '127.0.0.1', count: 3 });
  });

  it('records a revoked access token presented again as REVOKED_TOKEN_REUSE (HIGH)', async () => {
    const user = await signUp();
    await server.sdk(user.token).Logout();
    await failure(server.sdk(user.token).Me());
    const { securityEvents } = await asAdmin().SecurityEvents({ type: 'REVOKED_TOKEN_REUSE', userId: user.id });
    expect(securityEvents.edges[0].node).toMatchObject({ severity: 'HIGH', userId: user.id });
  });

  it('shows users their own history only, newest first, paginated', async () => {
    const user = await signUp();
    const login = expectTokens((await server.sdk().Login({ input: { email: user.email, password: PASSWORD } })).login);
    await server.sdk(login.accessToken).Logout({ scope: 'OTHERS' });
    const first = await server.sdk(login.accessToken).MyEvents({ first: 1 });
    expect(first.myEvents.edges.map((e) => e.node.type)).toEqual(['SESSION_REVOKED']);
    expect(first.myEvents.pageInfo.hasNextPage).toBe(true);
    const rest = await server.sdk(login.accessToken).MyEvents({ first: 10, after: first.myEvents.pageInfo.endCursor });
    expect(rest.myEvents.edges.map((e) => e.node.type)).toEqual(['LOGIN_SUCCEEDED']);
    expect([...first.myEvents.edges, ...rest.myEvents.edges].every((e) => e.node.userId === user.id)).toBe(true);
  });

  it('answers a malformed userId filter with an empty page, not an error', async () => {
    expect((await asAdmin().SecurityEvents({ userId: 'nope' })).securityEvents.edges).toEqual([]);
  });
});
