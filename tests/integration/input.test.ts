import { GatehouseError } from '../../client';
import { User } from '../../src/users/user.entity';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  // Room for a 1 MB password to reach the application's own check (the default body limit is 100 KB).
  server = await startTestServer({ BODY_LIMIT: String(2 * 1024 * 1024) });
});
afterAll(() => server?.close());

const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const REGISTER = 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken user { id email } } }';
const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { ... on AuthPayload { accessToken user { id } } } }';

const register = (email: string, password: string) => server.post({ query: REGISTER, variables: { input: { email, password } } });
const login = (email: string, password: string) => server.post({ query: LOGIN, variables: { input: { email, password } } });
const userCount = () => server.gatehouse.database.orm.em.fork().count(User, {});

describe('register input', () => {
  const badEmails: [string, string][] = [
    ['no at sign', 'user.example.com'],
    ['no domain', 'user@'],
    ['no top-level domain', 'user@localhost'],
    ['spaces inside', 'us er@example.com'],
    ['a display name', 'User <user@example.com>'],
    ['a newline inside', 'user\n@example.com'],
    ['a NUL byte', 'us\u0000er@example.com'],
    ['a C1 control character', 'us\u0085er@example.com'],
    ['255 characters', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`],
    ['nothing', '   '],
  ];

  it.each(badEmails)('rejects an email with %s as BAD_USER_INPUT on field email', async (_name, email) => {
    const before = await userCount();
    const { status, body } = await register(email, PASSWORD);
    expect(status).toBe(200);
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'email' } })]);
    expect(await userCount()).toBe(before);
  });

  it('refuses look-alike accounts: invisible characters are rejected, fullwidth letters fold to ASCII', async () => {
    const email = uniqueEmail('victim');
    await register(email, PASSWORD);
    const [local, domain] = email.split('@');
    const zeroWidth = await register(`${local}\u200b@${domain}`, PASSWORD);
    expect(zeroWidth.body.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
    const fullwidth = local.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    const folded = await register(`${fullwidth}@${domain}`, PASSWORD);
    expect(folded.body.errors?.[0].extensions).toEqual({ code: 'EMAIL_TAKEN', field: 'email' });
  });

  it('accepts an email of exactly 254 characters', async () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    expect(email).toHaveLength(254);
    const { body } = await register(email, PASSWORD);
    expect(body.errors).toBeUndefined();
  });

  const badPasswords: [string, string][] = [
    ['7 characters', 'abcdefg'],
    ['8 bytes but 2 code points', '😀😀'],
    ['257 characters', 'a'.repeat(257)],
    ['257 code points of 4 bytes each', '😀'.repeat(257)],
    ['1 MB', 'a'.repeat(1_000_000)],
  ];

  it.each(badPasswords)('rejects a password of %s as BAD_USER_INPUT on field password', async (_name, password) => {
    const before = await userCount();
    const { body } = await register(uniqueEmail(), password);
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'password' } })]);
    expect(await userCount()).toBe(before);
  });

  it('counts length in code points after NFKC: 8 emoji and a 64-character Unicode passphrase are fine', async () => {
    for (const password of ['😀'.repeat(8), 'Ωμέγα-パスワード-пароль-密码-'.repeat(3).slice(0, 64), 'a'.repeat(256)]) {
      const email = uniqueEmail();
      expect((await register(email, password)).body.errors).toBeUndefined();
      expect((await login(email, password)).body.errors).toBeUndefined();
    }
  });

  it('compares passwords after NFKC normalisation', async () => {
    const email = uniqueEmail();
    // U+FB01 LATIN SMALL LIGATURE FI normalises to "fi"; "é" composed vs decomposed.
    await register(email, 'ﬁnal caf\u00e9 password');
    expect((await login(email, 'final cafe\u0301 password')).body.errors).toBeUndefined();
  });

  it('treats passwords that differ only after byte 72 as different passwords', async () => {
    const email = uniqueEmail();
    const prefix = 'p'.repeat(72);
    await register(email, `${prefix}-first`);
    expect((await login(email, `${prefix}-first`)).body.errors).toBeUndefined();
    const { body } = await login(email, `${prefix}-second`);
    expect(body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });
  });

  it('rejects a 1 MB password at login as BAD_USER_INPUT, before any hashing', async () => {
    const { body } = await login(uniqueEmail(), 'a'.repeat(1_000_000));
    expect(body.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'password' });
  });

  it('never returns a password hash, and stores a scheme-tagged one', async () => {
    const email = uniqueEmail();
    const { body } = await register(email, PASSWORD);
    expect(JSON.stringify(body)).not.toMatch(/\$2[aby]\$|bcrypt/);
    const user = await server.gatehouse.database.orm.em.fork().findOneOrFail(User, { email });
    expect(user.passwordHash).toMatch(/^bcrypt-sha256\$\$2b\$04\$/);
    expect(user.passwordHash).not.toContain(PASSWORD);
  });

  it('rejects a wrongly typed variable with GraphQL’s own BAD_USER_INPUT', async () => {
    const { status, body } = await server.post({ query: REGISTER, variables: { input: { email: 42 } } }, { accept: GRAPHQL_RESPONSE });
    expect(status).toBe(400);
    expect(body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('the HTTP layer', () => {
  it('answers a parse error with GRAPHQL_PARSE_FAILED and no stack trace: 400, or 200 to a plain-JSON client', async () => {
    const modern = await server.post({ query: '{ me { ' }, { accept: GRAPHQL_RESPONSE });
    expect(modern.status).toBe(400);
    expect(modern.body.errors?.[0].extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
    const legacy = await server.post({ query: '{ me { ' }, { accept: 'application/json' });
    expect(legacy.status).toBe(200);
    expect(legacy.body).toEqual(modern.body);
  });

  it('answers an unknown field with GRAPHQL_VALIDATION_FAILED', async () => {
    const { status, body } = await server.post({ query: '{ me { password passwordHash } }' }, { accept: GRAPHQL_RESPONSE });
    expect(status).toBe(400);
    expect(body.errors?.[0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('answers malformed JSON with a GraphQL-shaped BAD_REQUEST', async () => {
    const { status, body } = await server.post('{"query": ');
    expect(status).toBe(400);
    expect(body.errors?.[0].extensions).toEqual({ code: 'BAD_REQUEST' });
  });

  it('answers a body over the limit with 413 and PAYLOAD_TOO_LARGE', async () => {
    const password = 'a'.repeat(server.config.bodyLimitBytes);
    const { status, body } = await register(uniqueEmail(), password);
    expect(status).toBe(413);
    expect(body.errors?.[0].extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses a mutation over GET', async () => {
    const url = `${server.graphqlUrl}?query=${encodeURIComponent('mutation { logout }')}`;
    const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(response.status).toBe(405);
  });

  it('keeps CSRF prevention on: a simple GET without a preflight header is refused', async () => {
    const response = await fetch(`${server.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF|preflight/i);
  });

  it('keeps batching off', async () => {
    const { status, body } = await server.post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toMatch(/batch/i);
  });

  it('answers unknown routes with a GraphQL-shaped 404', async () => {
    const response = await fetch(`${server.baseUrl}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ errors: [{ message: 'Not found.', extensions: { code: 'NOT_FOUND' } }] });
  });

  it('reports alive, and ready once the database is reachable and migrated', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const response = await fetch(`${server.baseUrl}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    }
  });

  it('gives every client error a code from the table and never a stack trace', async () => {
    const responses = await Promise.all([
      register('bad', PASSWORD),
      login('bad', PASSWORD),
      server.post({ query: '{ me { id } }' }, { authorization: 'Bearer x.y.z' }),
      server.post({ query: '{ nope }' }),
    ]);
    for (const { body } of responses) {
      for (const error of body.errors ?? []) {
        expect(error.extensions?.code).toEqual(expect.any(String));
        expect(error.extensions).not.toHaveProperty('stacktrace');
      }
    }
  });
});

it('the typed SDK surfaces codes and fields as GatehouseError', async () => {
  const error = await server
    .sdk()
    .Register({ input: { email: 'nope', password: PASSWORD } })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GatehouseError);
  expect((error as GatehouseError).code).toBe('BAD_USER_INPUT');
  expect((error as GatehouseError).errors[0].extensions?.field).toBe('email');
});
