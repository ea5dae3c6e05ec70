import { Role } from '../../src/users/role';
import { User } from '../../src/users/user.entity';
import { signUp, expectTokens } from '../helpers/factories';
import { captureLog, type CapturedLog } from '../helpers/log-capture';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// Every string a client sends that reaches SQL, carrying a NUL byte (which PostgreSQL refuses in text):
// each is a client error or harmless, never an outage or an internal error.

let server: TestServer;
let log: CapturedLog;
let admin: { token: string };
let user: { token: string; refreshToken: string };
beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: 'warn' });
  log = captureLog(server);
  const first = await signUp(server);
  await server.gatehouse.database.orm.em.fork().nativeUpdate(User, { id: first.user.id }, { role: Role.ADMIN });
  admin = { token: first.accessToken };
  const second = await signUp(server);
  user = { token: second.accessToken, refreshToken: second.refreshToken };
});
afterAll(() => server?.close());

const NUL = '\u0000';
const cursorWith = (id: string) => Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', id])).toString('base64url');

type Case = [name: string, as: 'admin' | 'user' | 'anyone', query: string, variables: Record<string, unknown>, expected: unknown];
const badInput = (field: string) => ({ code: 'BAD_USER_INPUT', field });
const cases: Case[] = [
  ['users(search)', 'admin', 'query ($s: String) { users(search: $s) { count } }', { s: `a${NUL}b` }, badInput('search')],
  ['users(after) raw', 'admin', 'query ($a: String) { users(after: $a) { count } }', { a: NUL }, badInput('after')],
  ['users(after) decoded', 'admin', 'query ($a: String) { users(after: $a) { count } }', { a: cursorWith(`${NUL}`.repeat(36)) }, badInput('after')],
  ['user(id)', 'admin', 'query ($id: ID!) { user(id: $id) { id } }', { id: NUL }, null],
  ['setUserRole(id)', 'admin', 'mutation ($id: ID!) { setUserRole(id: $id, role: USER) { id } }', { id: NUL }, { code: 'NOT_FOUND' }],
  ['disableUser(id)', 'admin', 'mutation ($id: ID!) { disableUser(id: $id) { id } }', { id: NUL }, { code: 'NOT_FOUND' }],
  ['enableUser(id)', 'admin', 'mutation ($id: ID!) { enableUser(id: $id) { id } }', { id: NUL }, { code: 'NOT_FOUND' }],
  ['securityEvents(userId)', 'admin', 'query ($id: ID) { securityEvents(userId: $id) { count } }', { id: NUL }, null],
  ['securityEvents(after)', 'admin', 'query ($a: String) { securityEvents(after: $a) { count } }', { a: NUL }, badInput('after')],
  ['myEvents(after)', 'user', 'query ($a: String) { myEvents(after: $a) { count } }', { a: NUL }, badInput('after')],
  ['revokeSession(id)', 'user', 'mutation ($id: ID!) { revokeSession(id: $id) }', { id: NUL }, { code: 'NOT_FOUND' }],
  [
    'register(email)',
    'anyone',
    'mutation ($i: RegisterInput!) { register(input: $i) { accessToken } }',
    { i: { email: `a${NUL}@example.com`, password: PASSWORD } },
    badInput('email'),
  ],
  [
    'login(email)',
    'anyone',
    'mutation ($i: LoginInput!) { login(input: $i) { ... on AuthPayload { accessToken } } }',
    { i: { email: `a${NUL}@example.com`, password: PASSWORD } },
    { code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' },
  ],
  [
    'refresh(refreshToken)',
    'anyone',
    'mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }',
    { t: NUL },
    { code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' },
  ],
];

it.each(cases)('%s with a NUL byte is a client error, not an outage', async (_name, as, query, variables, expected) => {
  const token = { admin: admin.token, user: user.token, anyone: undefined }[as];
  const { body } = await server.post({ query, variables }, token ? { authorization: `Bearer ${token}` } : {});
  expect(body.errors?.[0]?.extensions ?? null).toEqual(expected);
});

it('takes a NUL byte in a password as part of the password', async () => {
  const email = uniqueEmail();
  const password = `${PASSWORD}${NUL}!`;
  const { register } = await server.sdk().Register({ input: { email, password } });
  const changed = `${PASSWORD}${NUL}?`;
  await server.sdk(register.accessToken).ChangePassword({ input: { currentPassword: password, newPassword: changed } });
  expect(expectTokens((await server.sdk().Login({ input: { email, password: changed } })).login).user.email).toBe(email);
});

it('logged none of them as an outage or a bug', () => {
  const messages = log.lines().map((line) => line.msg);
  expect(messages).not.toContain('database unavailable');
  expect(messages).not.toContain('unexpected error');
});
