import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { LoginDocument, LogoutDocument, MeDocument, RegisterDocument } from '../../client';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// Gatehouse as a client app sees it: Apollo Client 4 with an auth link that sets the Bearer header.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

function createApp() {
  let token: string | undefined;
  const authLink = new SetContextLink(({ headers }) => ({
    headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  }));
  const client = new ApolloClient({
    link: ApolloLink.from([authLink, new HttpLink({ uri: server.graphqlUrl })]),
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: 'network-only' } },
  });
  return { client, setToken: (value?: string) => (token = value) };
}

it('registers, reads me, logs out and is refused afterwards', async () => {
  const { client, setToken } = createApp();
  const email = uniqueEmail('apollo');

  const registered = await client.mutate({ mutation: RegisterDocument, variables: { input: { email, password: PASSWORD } } });
  const payload = (registered.data as { register: { accessToken: string; user: { email: string } } }).register;
  expect(payload.user.email).toBe(email);
  setToken(payload.accessToken);

  const me = await client.query({ query: MeDocument });
  expect((me.data as { me: { email: string } }).me.email).toBe(email);

  const logout = await client.mutate({ mutation: LogoutDocument });
  expect(logout.data).toEqual({ logout: true });

  const error = await client.query({ query: MeDocument }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(CombinedGraphQLErrors.is(error)).toBe(true);
  expect((error as CombinedGraphQLErrors).errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });

  const again = await client.mutate({ mutation: LoginDocument, variables: { input: { email, password: PASSWORD } } });
  setToken((again.data as { login: { accessToken: string } }).login.accessToken);
  expect(((await client.query({ query: MeDocument })).data as { me: { email: string } }).me.email).toBe(email);
});
