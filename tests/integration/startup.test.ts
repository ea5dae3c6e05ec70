import { runCli } from '../../src/cli';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

const quiet = { log: () => undefined, error: () => undefined };

describe('MIGRATE_ON_START=false', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ MIGRATE_ON_START: 'false' });
  });
  afterAll(() => server?.close());

  it('is alive but not ready until the migrations are applied from the CLI, then ready', async () => {
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    const before = await fetch(`${server.baseUrl}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ status: 'migrations pending' });

    expect(await runCli(['migrate'], { ...server.env, LOG_LEVEL: 'silent' }, quiet)).toBe(0);
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
    expect(register.accessToken).toBeTruthy();
  });
});

describe('NODE_ENV=production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production', BCRYPT_COST: '10' });
  });
  afterAll(() => server?.close());

  it('turns introspection off', async () => {
    const { status, body } = await server.post({ query: '{ __schema { types { name } } }' }, { accept: 'application/graphql-response+json' });
    expect(status).toBe(400);
    expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('hides "Did you mean" field suggestions', async () => {
    const { body } = await server.post({ query: '{ me { emial } }' });
    expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(body)).not.toMatch(/Did you mean|email/);
  });

  it('serves no landing page', async () => {
    const response = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type')).not.toMatch(/html/);
    expect(await response.text()).not.toMatch(/sandbox|<html/i);
  });

  it('still serves the API, without stack traces', async () => {
    const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
    expect((await server.sdk(register.accessToken).Me()).me.email).toBe(register.user.email);
    const { body } = await server.post({ query: '{ me { id } }' }, { authorization: 'Bearer nope' });
    expect(body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  });
});

describe('NODE_ENV=development', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'development' });
  });
  afterAll(() => server?.close());

  it('serves Apollo Sandbox to a browser', async () => {
    const response = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/sandbox/i);
  });

  it('adds stack traces to our own errors for the developer, and still masks unexpected ones', async () => {
    const { body } = await server.post({ query: '{ me { id } }' });
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', stacktrace: expect.any(Array) });
  });
});

describe('AUTH_CACHE_MAX_ENTRIES', () => {
  // The embedded database has no cache, so nothing to refuse there.
  const onPostgres = process.env.DATABASE_URL ? it : it.skip;
  onPostgres('is refused at start when a full cache could not fit in the heap', async () => {
    await expect(startTestServer({ AUTH_CACHE_MAX_ENTRIES: '10000000' })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('AUTH_CACHE_MAX_ENTRIES=10000000 may hold up to'),
    });
  });
});
