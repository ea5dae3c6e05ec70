// What the benchmark sends: the GraphQL documents, answer checks, and the seeding done with plain fetch.
import { randomBytes } from 'node:crypto';
import { PASSWORD, USERS } from './settings';

export const DOCUMENTS = {
  ceiling: '{ __typename }',
  me: '{ me { id email role } }',
  login: 'mutation ($input: LoginInput!) { login(input: $input) { ... on AuthPayload { accessToken refreshToken } } }',
  register: 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken refreshToken } }',
  refresh: 'mutation ($refreshToken: String!) { refresh(refreshToken: $refreshToken) { accessToken refreshToken } }',
  logout: 'mutation { logout }',
};

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/** One signed-in session, owned by one connection at a time; its tokens change as it refreshes. */
export interface Session {
  email: string;
  accessToken: string;
  refreshToken: string;
  /** Logged out or lost: the connection logs in before anything else. */
  signedOut: boolean;
  /** The operation sent and not yet answered: its outcome is unknown if the run ends first. */
  pending?: 'me' | 'refresh' | 'login' | 'logout';
}

export const loginBody = (email: string) => JSON.stringify({ query: DOCUMENTS.login, variables: { input: { email, password: PASSWORD } } });
export const refreshBody = (refreshToken: string) => JSON.stringify({ query: DOCUMENTS.refresh, variables: { refreshToken } });

/** A 2xx answer that is not a GraphQL success; autocannon already counts the non-2xx ones. */
export function graphqlFailed(status: number, body: string): boolean {
  return status >= 200 && status < 300 && (body.includes('"errors"') || !body.includes('"data"'));
}

/** The token pair of a login, register or refresh answer; undefined when it failed. */
export function tokenPair(body: string, field: 'login' | 'register' | 'refresh'): TokenPair | undefined {
  try {
    const parsed = JSON.parse(body) as { data?: Record<string, TokenPair | undefined> | null; errors?: unknown };
    const pair = parsed.errors ? undefined : parsed.data?.[field];
    return pair?.accessToken && pair.refreshToken ? pair : undefined;
  } catch {
    return undefined;
  }
}

export async function post(baseUrl: string, body: string, accessToken?: string): Promise<string> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) },
    body,
  });
  return response.text();
}

/** Registers USERS accounts; `me` picks among their access tokens, `login` among their emails. */
export async function seedUsers(baseUrl: string): Promise<{ emails: string[]; accessTokens: string[] }> {
  const emails: string[] = [];
  const accessTokens: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const email = `bench-${i}-${randomBytes(3).toString('hex')}@example.com`;
    const body = await post(baseUrl, JSON.stringify({ query: DOCUMENTS.register, variables: { input: { email, password: PASSWORD } } }));
    const pair = tokenPair(body, 'register');
    if (!pair) throw new Error(`seeding failed: ${body}`);
    emails.push(email);
    accessTokens.push(pair.accessToken);
  }
  return { emails, accessTokens };
}

/**
 * Fresh sessions, one per connection, so that a workload which rotates or logs them out (refresh, mixed)
 * never touches the sessions behind the `me` tokens, nor another connection's.
 */
export async function signInSessions(baseUrl: string, emails: string[], count: number): Promise<Session[]> {
  const sessions: Session[] = [];
  for (let i = 0; i < count; i++) {
    const email = emails[i % emails.length];
    sessions.push({ email, ...(await signIn(baseUrl, email)), signedOut: false });
  }
  return sessions;
}

export async function signIn(baseUrl: string, email: string): Promise<TokenPair> {
  const body = await post(baseUrl, loginBody(email));
  const pair = tokenPair(body, 'login');
  if (!pair) throw new Error(`login failed: ${body}`);
  return pair;
}
