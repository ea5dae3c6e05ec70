import { randomBytes } from 'node:crypto';
import { startServerProcess, type ServerProcess } from '../helpers/server-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startTestServer, type GraphQLBody, type TestServer } from '../helpers/test-server';

// What a stranger's mistakes and probes get back from a production server: the real entry point in a
// process of its own, so that its log is read as an operator reads it. A client's mistake is a client
// error with a code from the table, tells nothing about the schema that introspection would, and writes
// nothing at error level, which operators page on (docs/OPERATIONS.md).

let database: TestDatabase;
let production: ServerProcess;
// The same server outside production, to show what production takes away.
let development: TestServer;
beforeAll(async () => {
  development = await startTestServer({ NODE_ENV: 'development' });
  database = await createTestDatabase();
  production = await startServerProcess({
    ...database.env,
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(48).toString('base64'),
    BCRYPT_COST: '10',
    LOG_LEVEL: 'info',
  });
}, 60_000);
afterAll(async () => {
  await development?.close();
  await production?.stop();
  await database?.drop();
});

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as GraphQLBody };
}

const logLines = () =>
  production
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; requestId?: string });

/** Waits for the access-log line of every request id (lines are written asynchronously), then returns the log. */
async function logAfter(requestIds: string[]) {
  const deadline = Date.now() + 5_000;
  while (!requestIds.every((id) => logLines().some((line) => line.requestId === id && line.msg === 'request'))) {
    if (Date.now() > deadline) throw new Error(`no access-log line for ${requestIds.join(', ')}:\n${production.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return logLines();
}

describe('suggestions', () => {
  // Each mistake, with the name only its suggestion would reveal.
  const mistakes: [string, unknown, string, string][] = [
    ['an enum value literal', { query: 'mutation { logout(scope: AL) }' }, 'GRAPHQL_VALIDATION_FAILED', 'ALL'],
    ['an enum value in a variable', { query: 'mutation ($s: LogoutScope) { logout(scope: $s) }', variables: { s: 'AL' } }, 'BAD_USER_INPUT', 'ALL'],
    [
      'an input field in a variable',
      {
        query: 'mutation ($i: LoginInput!) { login(input: $i) { ... on AuthPayload { accessToken } } }',
        variables: { i: { email: 'a@example.com', password: 'x', passwrd: 'y' } },
      },
      'BAD_USER_INPUT',
      'password',
    ],
    ['a field', { query: '{ me { emial } }' }, 'GRAPHQL_VALIDATION_FAILED', 'email'],
    ['an argument', { query: 'mutation { logout(scop: ALL) }' }, 'GRAPHQL_VALIDATION_FAILED', 'scope'],
    ['a type', { query: 'query ($s: LogoutScop) { me { id } }' }, 'GRAPHQL_VALIDATION_FAILED', 'LogoutScope'],
  ];

  it.each(mistakes)('are shown outside production, for %s', async (_name, body, code, hidden) => {
    const { body: answer } = await post(development.baseUrl, body);
    expect(answer.errors?.[0]).toMatchObject({ message: expect.stringMatching(`Did you mean .*"${hidden}"\\?$`), extensions: { code } });
  });

  it.each(mistakes)('are removed in production, leaving no trace, for %s', async (_name, body, code, hidden) => {
    const { status, body: answer } = await post(production.url, body);
    expect(status).toBe(400);
    expect(answer.errors?.[0].extensions).toEqual({ code });
    for (const { message } of answer.errors ?? []) {
      expect(message).not.toMatch(/Did you mean|Suggestion|\?/);
      expect(message).not.toContain(`"${hidden}"`);
      expect(message).toMatch(/\.$/);
    }
  });
});

describe('automatic persisted queries', () => {
  // They are off (src/graphql/apollo.ts): each misuse that Apollo would check is refused before its check.
  const hash = 'a'.repeat(64);
  const misuses: [string, Record<string, unknown>][] = [
    ['a hash that does not match the query', { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }],
    ['an unknown version', { query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: hash } } }],
    ['a hash alone', { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }],
  ];

  it.each(misuses)('answer %s with PERSISTED_QUERY_NOT_SUPPORTED, 400, and log nothing at error level', async (_name, body) => {
    const requestIds: string[] = [];
    for (const accept of [GRAPHQL_RESPONSE, 'application/json']) {
      const requestId = `apq-${randomBytes(4).toString('hex')}`;
      requestIds.push(requestId);
      const { status, body: answer } = await post(production.url, body, { accept, 'x-request-id': requestId });
      expect({ status, answer }).toEqual({
        status: 400,
        answer: { errors: [{ message: 'PersistedQueryNotSupported', extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } }] },
      });
    }
    const log = await logAfter(requestIds);
    expect(log.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('answers a hash sent over GET the same way', async () => {
    const params = new URLSearchParams({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }) });
    const response = await fetch(`${production.url}/graphql?${params}`, {
      headers: { accept: GRAPHQL_RESPONSE, 'apollo-require-preflight': 'true', 'x-request-id': 'apq-get' },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(((await response.json()) as GraphQLBody).errors?.[0].extensions).toEqual({ code: 'PERSISTED_QUERY_NOT_SUPPORTED' });
    expect((await logAfter(['apq-get'])).filter((line) => line.level >= 50)).toEqual([]);
  });
});

describe('a subscription over HTTP', () => {
  const query = 'subscription { sessionEvents { type } }';

  it('is refused before it runs, over POST and GET alike, and logs nothing at error level', async () => {
    const viaPost = await post(production.url, { query }, { 'x-request-id': 'subscription-post' });
    const viaGet = await fetch(`${production.url}/graphql?${new URLSearchParams({ query })}`, {
      headers: { accept: GRAPHQL_RESPONSE, 'apollo-require-preflight': 'true', 'x-request-id': 'subscription-get' },
    });
    for (const { status, body } of [viaPost, { status: viaGet.status, body: (await viaGet.json()) as GraphQLBody }]) {
      expect({ status, body }).toEqual({
        status: 400,
        body: {
          errors: [
            {
              message:
                'Subscriptions are not served over HTTP: subscribe over WebSocket (ws:// or wss://) at /graphql with the graphql-ws protocol (graphql-transport-ws).',
              locations: [{ line: 1, column: 1 }],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            },
          ],
        },
      });
    }
    expect((await logAfter(['subscription-post', 'subscription-get'])).filter((line) => line.level >= 50)).toEqual([]);
  });
});

describe('introspection', () => {
  const probes = ['{ __schema { types { name } } }', '{ __type(name: "User") { fields { name } } }'];

  it.each(probes)('is answered outside production: %s', async (query) => {
    const { status, body } = await post(development.baseUrl, { query });
    expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
  });

  it.each(probes)('is refused in production, with a message that points to schema.graphql: %s', async (query) => {
    const { status, body } = await post(production.url, { query });
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      {
        message: 'Introspection is off in production. The schema is published as schema.graphql in the Gatehouse repository.',
        locations: [{ line: 1, column: 3 }],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED', validationErrorCode: 'INTROSPECTION_DISABLED' },
      },
    ]);
  });
});
