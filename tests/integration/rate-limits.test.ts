import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { SecurityEventType } from '../../src/events/security-event-type';
import { SecurityEvent } from '../../src/events/security-event.entity';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { ... on AuthPayload { accessToken } } }';
const REGISTER = 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken refreshToken } }';
const REFRESH = 'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }';
const randomIp = () => `203.0.113.${1 + (randomBytes(1)[0] % 250)}`;

const servers: TestServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

/** A server with low limits; everything else as in the other tests. */
async function limited(env: Record<string, string>): Promise<TestServer> {
  const server = await startTestServer(env);
  servers.push(server);
  return server;
}

const login = (server: TestServer, email: string, password = PASSWORD, headers: Record<string, string> = {}) =>
  server.post({ query: LOGIN, variables: { input: { email, password } } }, headers);

describe('per client IP', () => {
  it('limits logins per IP with RATE_LIMITED, retryAfter, HTTP 429 and Retry-After; a spoofed X-Forwarded-For does not help', async () => {
    const server = await limited({ RATE_LIMIT_LOGIN_IP: '3/1m' });
    const email = uniqueEmail();
    await server.sdk().Register({ input: { email, password: PASSWORD } });
    for (let i = 0; i < 3; i++) {
      const { body } = await login(server, email, PASSWORD, { 'x-forwarded-for': randomIp() });
      expect(body.errors).toBeUndefined();
    }
    const { status, body, headers } = await login(server, email, PASSWORD, { 'x-forwarded-for': randomIp() });
    expect(status).toBe(429);
    const retryAfter = body.errors?.[0].extensions?.retryAfter as number;
    expect(body.errors?.[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(headers.get('retry-after')).toBe(String(retryAfter));
  });

  it('limits registrations and refreshes per IP', async () => {
    const server = await limited({ RATE_LIMIT_REGISTER_IP: '2/1h', RATE_LIMIT_REFRESH_IP: '2/1m' });
    const first = await server.post({ query: REGISTER, variables: { input: { email: uniqueEmail(), password: PASSWORD } } });
    await server.post({ query: REGISTER, variables: { input: { email: uniqueEmail(), password: PASSWORD } } });
    const third = await server.post({ query: REGISTER, variables: { input: { email: uniqueEmail(), password: PASSWORD } } });
    expect(third.body.errors?.[0].extensions?.code).toBe('RATE_LIMITED');

    const token = (first.body.data?.register as { refreshToken: string }).refreshToken;
    const refreshes = [];
    for (let i = 0; i < 3; i++) refreshes.push(await server.post({ query: REFRESH, variables: { t: i === 0 ? token : 'x'.repeat(43) } }));
    expect(refreshes.map((r) => r.body.errors?.[0].extensions?.code ?? 'ok')).toEqual(['ok', 'UNAUTHENTICATED', 'RATE_LIMITED']);
  });

  it('counts every login field executed, across requests: one request cannot carry many', async () => {
    const server = await limited({ RATE_LIMIT_LOGIN_IP: '2/1m' });
    const email = uniqueEmail();
    await server.sdk().Register({ input: { email, password: PASSWORD } });
    // Two operations in one document: only the chosen one executes, and it counts once.
    const query = `${LOGIN.replace('mutation', 'mutation A')} ${LOGIN.replace('mutation', 'mutation B')}`;
    const codes = [];
    for (const operationName of ['A', 'B', 'A']) {
      const { body } = await server.post({ query, operationName, variables: { input: { email, password: PASSWORD } } });
      codes.push(body.errors?.[0].extensions?.code ?? 'ok');
    }
    expect(codes).toEqual(['ok', 'ok', 'RATE_LIMITED']);
  });
});

describe('TRUST_PROXY', () => {
  it('takes the client address from the hop the proxy added; clients behind it get separate limits and cannot spoof', async () => {
    const server = await limited({ RATE_LIMIT_LOGIN_IP: '2/1m', TRUST_PROXY: '1' });
    const email = uniqueEmail();
    await server.sdk().Register({ input: { email, password: PASSWORD } });
    const [alice, bob] = [randomIp(), `198.51.100.${1 + (randomBytes(1)[0] % 250)}`];
    // What a proxy sends: whatever the client claimed, then the address it saw.
    const via = (real: string) => ({ 'x-forwarded-for': `${randomIp()}, ${real}` });
    const codes = [];
    for (const ip of [alice, alice, alice, bob])
      codes.push((await login(server, email, PASSWORD, via(ip))).body.errors?.[0].extensions?.code ?? 'ok');
    expect(codes).toEqual(['ok', 'ok', 'RATE_LIMITED', 'ok']);

    // The session records the client's address, not the proxy's.
    const carol = randomIp();
    const { body } = await login(server, email, PASSWORD, via(carol));
    const token = (body.data?.login as { accessToken: string }).accessToken;
    const { sessions } = await server.sdk(token).Sessions();
    expect(sessions.find((s) => s.current)?.ip).toBe(carol);
  });

  it('refuses TRUST_PROXY=true, which would let every client choose its address', async () => {
    await expect(startTestServer({ TRUST_PROXY: 'true' })).rejects.toThrow(/TRUST_PROXY=true/);
  });
});

describe('per account', () => {
  it('slows down, then blocks, an account after failed passwords, before any hashing; success clears the count', async () => {
    const server = await limited({ RATE_LIMIT_ACCOUNT_FAILURES: '3/1m' });
    const email = uniqueEmail('target');
    await server.sdk().Register({ input: { email, password: PASSWORD } });
    const code = async (password: string, who = email) => (await login(server, who, password)).body.errors?.[0].extensions?.code ?? 'ok';

    expect([await code('wrong 1'), await code('wrong 2'), await code(PASSWORD)]).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'ok']);
    // The success cleared the two failures: three more are needed to trip the limit.
    expect([await code('wrong 3'), await code('wrong 4'), await code('wrong 5')]).toEqual(Array(3).fill('UNAUTHENTICATED'));
    // Now even the right password waits: the attacker cannot tell it was right.
    expect(await code(PASSWORD)).toBe('RATE_LIMITED');
    expect(await code(PASSWORD, email.toUpperCase())).toBe('RATE_LIMITED');
    // Other accounts are not affected, and unknown emails are limited the same way (no enumeration).
    const other = uniqueEmail();
    await server.sdk().Register({ input: { email: other, password: PASSWORD } });
    expect(await code(PASSWORD, other)).toBe('ok');
    const nobody = uniqueEmail('nobody');
    const unknown = [];
    for (let i = 0; i < 4; i++) unknown.push(await code(PASSWORD, nobody));
    expect(unknown).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED']);
  });

  it('records each refusal as ACCOUNT_LOCKED (WARNING) with the account and the IP, one row per dedupe window', async () => {
    const server = await limited({ RATE_LIMIT_ACCOUNT_FAILURES: '2/1m', SECURITY_EVENT_DEDUPE_WINDOW: '1d' });
    const email = uniqueEmail('locked');
    const { register } = await server.sdk().Register({ input: { email, password: PASSWORD } });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await login(server, email, `wrong ${i}`)).body.errors?.[0].extensions?.code);
    expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    const nobody = uniqueEmail('nobody');
    for (let i = 0; i < 3; i++) await login(server, nobody, `wrong ${i}`);
    const rows = await server.gatehouse.database.orm.em
      .fork()
      .find(SecurityEvent, { type: SecurityEventType.ACCOUNT_LOCKED }, { orderBy: { createdAt: 'asc' } });
    expect(rows.map(({ userId, ip, count, severity }) => ({ userId, ip, count, severity }))).toEqual([
      { userId: register.user.id, ip: '127.0.0.1', count: 3, severity: 'WARNING' },
      // An address without an account is limited, and recorded, the same way (without a user).
      { userId: null, ip: '127.0.0.1', count: 1, severity: 'WARNING' },
    ]);
  });

  it('counts parallel attempts before checking any password: a burst cannot slip past the limit', async () => {
    const server = await limited({ RATE_LIMIT_ACCOUNT_FAILURES: '3/1m' });
    const email = uniqueEmail('burst');
    await server.sdk().Register({ input: { email, password: PASSWORD } });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login(server, email, `wrong password ${i}`)));
    const codes = results.map((r) => r.body.errors?.[0].extensions?.code);
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(3);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(17);
  });

  it('blocks the account for one client IP only, for the longer window, so the owner elsewhere still gets in', async () => {
    const server = await limited({ RATE_LIMIT_ACCOUNT_FAILURES: '100/1m', RATE_LIMIT_ACCOUNT_LOCKOUT: '3/1h', TRUST_PROXY: 'loopback' });
    const email = uniqueEmail('owner');
    await server.sdk().Register({ input: { email, password: PASSWORD } });
    const attacker = { 'x-forwarded-for': randomIp() };
    for (let i = 0; i < 3; i++) await login(server, email, `guess ${i}`, attacker);
    const blocked = await login(server, email, PASSWORD, attacker);
    expect(blocked.body.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    expect(blocked.body.errors?.[0].extensions?.retryAfter).toBeGreaterThan(3000);
    const owner = await login(server, email, PASSWORD, { 'x-forwarded-for': '198.51.100.77' });
    expect(owner.body.errors).toBeUndefined();
  });

  it('limits wrong current passwords in changePassword the same way', async () => {
    const server = await limited({ RATE_LIMIT_ACCOUNT_FAILURES: '2/1m' });
    const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
    const attempt = () =>
      server
        .sdk(register.accessToken)
        .ChangePassword({ input: { currentPassword: 'not the password', newPassword: 'a brand new passphrase' } })
        .then(
          () => 'ok',
          (error: { code: string }) => error.code,
        );
    expect([await attempt(), await attempt(), await attempt()]).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT', 'RATE_LIMITED']);
  });
});

describe('shared by every instance', () => {
  const onPostgres = process.env.DATABASE_URL ? it : it.skip;
  onPostgres('counts attempts through two servers on one PostgreSQL database together', async () => {
    const first = await limited({ RATE_LIMIT_LOGIN_IP: '3/1m' });
    const second = await limited({ RATE_LIMIT_LOGIN_IP: '3/1m', DATABASE_URL: first.env.DATABASE_URL, JWT_SECRET: first.env.JWT_SECRET });
    const email = uniqueEmail();
    await first.sdk().Register({ input: { email, password: PASSWORD } });
    const codes = [];
    for (const server of [first, second, first, second]) codes.push((await login(server, email)).body.errors?.[0].extensions?.code ?? 'ok');
    expect(codes).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
  });

  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  // Decided before the tests are declared, so a machine without Redis reports this test as skipped.
  const { hostname, port } = new URL(redisUrl);
  const probe = `require('net').connect(${Number(port || 6379)}, ${JSON.stringify(hostname)}).on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  const redisReachable = spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
  (redisReachable ? it : it.skip)('counts attempts through two servers together in Redis when REDIS_URL is set', async () => {
    // Behind a trusted loopback proxy, a fresh client address keeps this run's counters apart from others'.
    const env = { REDIS_URL: redisUrl, RATE_LIMIT_LOGIN_IP: '3/1m', TRUST_PROXY: 'loopback' };
    const first = await limited(env);
    const second = await limited({ ...env });
    const email = uniqueEmail();
    await first.sdk().Register({ input: { email, password: PASSWORD } });
    await second.sdk().Register({ input: { email: `2${email}`, password: PASSWORD } });
    // Random in its first 64 bits, which are what the limiter keys IPv6 clients by.
    const ip = { 'x-forwarded-for': `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1` };
    const codes = [];
    for (const server of [first, second, first, second]) {
      codes.push((await login(server, server === first ? email : `2${email}`, PASSWORD, ip)).body.errors?.[0].extensions?.code ?? 'ok');
    }
    expect(codes).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
  });
});
