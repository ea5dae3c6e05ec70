import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws'; // browsers have their own WebSocket: leave webSocketImpl out there
import { createGatehouseClient, LoginDocument } from './client';
import { SessionEventsDocument } from './client/live';

const url = process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:4000/graphql';
let token: string | undefined; // in memory only
let signOut: () => void = () => undefined;

const wsClient = createClient({
  url: url.replace(/^http/, 'ws'), // the same path as HTTP: ws://127.0.0.1:4000/graphql
  webSocketImpl: WebSocket,
  connectionParams: () => ({ authorization: `Bearer ${token}` }), // read at each (re)connection
  on: { closed: (event) => (event as { code: number }).code === 4401 && signOut() }, // 4401: the session has ended
});
const authLink = new SetContextLink(({ headers }) => ({ headers: { ...headers, authorization: `Bearer ${token}` } }));
const client = new ApolloClient({
  // Subscriptions over the WebSocket, everything else over HTTP.
  link: ApolloLink.split(
    ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(wsClient),
    ApolloLink.from([authLink, new HttpLink({ uri: url })]),
  ),
  cache: new InMemoryCache(),
});

async function main() {
  const input = { email: 'ada@example.com', password: 'correct horse battery staple' };
  const { data } = await client.mutate({ mutation: LoginDocument, variables: { input } });
  // An account with a second factor gets an MfaChallenge here: see the login example above.
  if (data?.login.__typename !== 'AuthPayload') throw new Error('this example signs in without a second factor');
  token = data.login.accessToken;
  const signedOut = new Promise<void>((resolve) => (signOut = resolve));
  client.subscribe({ query: SessionEventsDocument }).subscribe({
    next: ({ data: event }) => event?.sessionEvents.type === 'SESSION_REVOKED' && event.sessionEvents.current && signOut(),
    error: () => signOut(),
  });
  // Another device of the same account logs out everywhere.
  const { login: other } = await createGatehouseClient({ url }).Login({ input });
  if (other.__typename !== 'AuthPayload') throw new Error('this example signs in without a second factor');
  await createGatehouseClient({ url, getAccessToken: () => other.accessToken }).Logout({ scope: 'ALL' });
  await signedOut;
  console.log('signed out elsewhere: signed out here too');
  await wsClient.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
