import { Client, cacheExchange, fetchExchange } from '@urql/core';
import { LoginDocument, MeDocument, RegisterDocument, type MeQuery } from '../../client';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';
import { expectTokens } from '../helpers/factories';

// GraphQL clients this project did not write, with their defaults, against a real server; and what
// accepting an authenticated GET must not open up (src/graphql/apollo.ts, csrfPrevention). The refresh
// cookie is on, so the cookie path is exercised too.

// The generated documents are TypedDocumentNodes: each client infers the result type from the document
// alone (checked by `npm run typecheck`; an untyped document would make these `any`).
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typed = <A, B>(check: Equals<A, B>) => expect(check).toBe(true);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ REFRESH_TOKEN_COOKIE: 'true' });
});
afterAll(() => server?.close());

const getUrl = (query: string) => `${server.graphqlUrl}?query=${encodeURIComponent(query)}`;
const cookieOf = (headers: Headers) => /^gatehouse_refresh=([^;]*)/.exec(headers.get('set-cookie') ?? '')?.[1];
const REFRESH_FROM_COOKIE = 'mutation { refresh(refreshToken: "") { accessToken } }';

describe('urql with its defaults', () => {
  it('runs me as a GET with the Authorization header and gets the user', async () => {
    const email = uniqueEmail('urql');
    const { register } = await server.sdk().Register({ input: { email, password: PASSWORD } });
    const methods: string[] = [];
    const client = new Client({
      url: server.graphqlUrl,
      exchanges: [cacheExchange, fetchExchange],
      fetchOptions: { headers: { authorization: `Bearer ${register.accessToken}` } },
      fetch: (input, init) => {
        methods.push(init?.method ?? 'GET');
        return fetch(input, init);
      },
    });
    const result = await client.query(MeDocument, {}).toPromise();
    typed<typeof result.data, MeQuery | undefined>(true);
    expect(result.error).toBeUndefined();
    expect(result.data?.me.email).toBe(email);
    expect(methods).toEqual(['GET']);

    // Its mutations are POSTs, as they must be.
    const login = await client.mutation(LoginDocument, { input: { email, password: PASSWORD } }).toPromise();
    expect(expectTokens(login.data!.login).user.email).toBe(email);
    expect(methods).toEqual(['GET', 'POST']);
  });
});

describe('graphql-request', () => {
  it('registers, logs in and reads me', async () => {
    const { GraphQLClient } = await import('graphql-request');
    const client = new GraphQLClient(server.graphqlUrl);
    const email = uniqueEmail('graphql-request');

    const { register } = await client.request(RegisterDocument, { input: { email, password: PASSWORD } });
    expect(register.user.email).toBe(email);
    const login = expectTokens((await client.request(LoginDocument, { input: { email, password: PASSWORD } })).login);

    client.setHeader('authorization', `Bearer ${login.accessToken}`);
    const { me } = await client.request(MeDocument);
    typed<typeof me, MeQuery['me']>(true);
    expect(me).toEqual(login.user);
  });
});

describe('what an authenticated GET does not open up', () => {
  it('still refuses a GET query with neither Authorization nor a preflight header', async () => {
    const response = await fetch(getUrl('{ __typename }'));
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/);
  });

  it('refuses a mutation over GET, with the Authorization header', async () => {
    const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
    const response = await fetch(getUrl('mutation { logout(scope: ALL) }'), { headers: { authorization: `Bearer ${register.accessToken}` } });
    expect(response.status).toBe(405);
    // Nothing ran: the session is still alive.
    expect((await server.sdk(register.accessToken).Me()).me.id).toBe(register.user.id);
  });

  it('refuses a refresh from the cookie over GET and as a simple cross-site POST, leaving the cookie unspent', async () => {
    const registered = await server.post({
      query: 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken } }',
      variables: { input: { email: uniqueEmail(), password: PASSWORD } },
    });
    const cookie = `gatehouse_refresh=${cookieOf(registered.headers)}`;

    // What a page on another site can make a browser send with the cookie: a GET (link, image) and a
    // form POST (its three content types), none with an Authorization or preflight header.
    const get = await fetch(getUrl(REFRESH_FROM_COOKIE), { headers: { cookie } });
    expect(get.status).toBe(400);
    expect(cookieOf(get.headers)).toBeUndefined();
    const query = JSON.stringify({ query: REFRESH_FROM_COOKIE });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const post = await fetch(server.graphqlUrl, { method: 'POST', headers: { cookie, 'content-type': contentType }, body: query });
      // Fastify parses only JSON and text/plain; CSRF prevention refuses the text/plain one.
      expect(post.status).toBe(contentType === 'text/plain' ? 400 : 415);
      expect(await post.text()).toMatch(contentType === 'text/plain' ? /CSRF/ : /Unsupported Media Type/i);
      expect(cookieOf(post.headers)).toBeUndefined();
    }

    // The app itself (JSON content type, which a browser preflights) still refreshes with that cookie.
    const refreshed = await server.post({ query: REFRESH_FROM_COOKIE }, { cookie });
    expect(refreshed.body.errors).toBeUndefined();
    expect(cookieOf(refreshed.headers)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
