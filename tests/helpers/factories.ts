// The usual setup of a test, written once: a user signed up over the API, an EntityManager on the server's
// database. A test file binds them to its server once: `const { em, signUp } = factories(() => server);`
// (a function, because the server is started in beforeAll, after the file's top level has run).
import type { Authenticated, LoginResultShape } from '../../client';
import { PASSWORD, uniqueEmail, type TestServer } from './test-server';

/** Any server a test talks to through the SDK: the in-process TestServer or a ServerProcess. */
export interface SdkServer {
  sdk: TestServer['sdk'];
}

/**
 * Registers a new user (a unique email starting with `label`, the shared PASSWORD) and returns the
 * register payload with its email and two shorthands: `id` (the user's) and `token` (the access token).
 */
export async function signUp(server: SdkServer, label = 'user') {
  const email = uniqueEmail(label);
  const { register } = await server.sdk().Register({ input: { email, password: PASSWORD } });
  return { email, id: register.user.id, token: register.accessToken, ...register };
}

export type SignedUp = Awaited<ReturnType<typeof signUp>>;

/**
 * Signs in with email and password and returns the token pair and user. Tests that need a login go
 * through this one helper, so a change to what `login` returns (issue 13: a union with a second-factor
 * challenge) is one edit here.
 */
export async function logIn(server: SdkServer, email: string, password = PASSWORD) {
  const login = expectTokens((await server.sdk().Login({ input: { email, password } })).login);
  return { token: login.accessToken, ...login };
}

/**
 * Narrows a login result to its tokens (the AuthPayload branch); a second-factor challenge fails the test
 * there, with what it got. For results selected without __typename, it checks `accessToken` instead.
 */
export function expectTokens<T extends LoginResultShape>(result: T): Authenticated<T>;
export function expectTokens<T extends object>(result: T): Extract<T, { accessToken: unknown }>;
export function expectTokens(result: object): object {
  const typename = (result as { __typename?: string }).__typename;
  if (typename === 'MfaChallenge' || (typename === undefined && !('accessToken' in result || 'user' in result))) {
    throw new Error(`expected tokens from login, got ${JSON.stringify(result)}`);
  }
  return result;
}

export function factories(server: () => TestServer) {
  return {
    /** A fresh EntityManager on the server's database, to arrange or read rows directly. */
    em: () => server().gatehouse.database.orm.em.fork(),
    signUp: (label?: string) => signUp(server(), label),
    logIn: (email: string, password?: string) => logIn(server(), email, password),
  };
}
