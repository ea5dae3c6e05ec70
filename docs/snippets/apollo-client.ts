import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { LoginDocument, MeDocument, VerifyMfaDocument } from './client';

let token: string | undefined; // in memory only
const authLink = new SetContextLink(({ headers }) => ({
  headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
}));
const client = new ApolloClient({
  link: ApolloLink.from([authLink, new HttpLink({ uri: process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:4000/graphql' })]),
  cache: new InMemoryCache(),
});

async function main() {
  const { data } = await client.mutate({
    mutation: LoginDocument,
    variables: { input: { email: 'ada@example.com', password: 'correct horse battery staple' } },
  });
  const login = data!.login; // AuthPayload | MfaChallenge, told apart by __typename
  if (login.__typename === 'MfaChallenge') {
    const code = process.env.TOTP_CODE ?? ''; // the app asks the user for it
    const verified = await client.mutate({
      mutation: VerifyMfaDocument,
      variables: { input: { challengeToken: login.challengeToken, method: 'TOTP', code } },
    });
    token = verified.data?.verifyMfa.accessToken;
  } else {
    token = login.accessToken;
  }
  const { data: signedIn } = await client.query({ query: MeDocument }); // typed: MeQuery | undefined
  console.log(`signed in as ${signedIn?.me.email}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
