// The explorer's "Sign in": the login mutation, and the request headers that carry its access token.

export interface SignedIn {
  email: string;
  accessToken: string;
  expiresAt: string;
}

type Tokens = { __typename: 'AuthPayload'; accessToken: string; expiresAt: string; user: { email: string } };
type Challenge = { __typename: 'MfaChallenge'; challengeToken: string };

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

const LOGIN = `mutation ExplorerLogin($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on AuthPayload { accessToken expiresAt user { email } }
    ... on MfaChallenge { challengeToken }
  }
}`;

const VERIFY_MFA = `mutation ExplorerVerifyMfa($input: VerifyMfaInput!) {
  verifyMfa(input: $input) { __typename accessToken expiresAt user { email } }
}`;

async function send<T>(graphqlUrl: string, query: string, operationName: string, variables: unknown): Promise<T> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, operationName, variables }),
  });
  const body = (await response.json()) as GraphQLResponse<T>;
  const error = body.errors?.[0];
  if (error || !body.data) {
    const code = [error?.extensions?.code, error?.extensions?.reason].filter(Boolean).join(' · ');
    throw new Error(`${code ? `${code}: ` : ''}${error?.message ?? `HTTP ${response.status}`}`);
  }
  return body.data;
}

/**
 * Logs in through the GraphQL endpoint; throws an Error saying why not (with Gatehouse's code). An account
 * with a second factor is asked for a code (`askForCode`: a TOTP code, or a recovery code).
 */
export async function login(graphqlUrl: string, email: string, password: string, askForCode: () => string | null): Promise<SignedIn> {
  const { login: result } = await send<{ login: Tokens | Challenge }>(graphqlUrl, LOGIN, 'ExplorerLogin', { input: { email, password } });
  let tokens: Tokens;
  if (result.__typename === 'MfaChallenge') {
    const code = askForCode()?.trim();
    if (!code) throw new Error('This account has a second factor: enter a code to sign in.');
    const method = /^\d{6}$/.test(code) ? 'TOTP' : 'RECOVERY_CODE';
    const input = { challengeToken: result.challengeToken, method, code };
    tokens = (await send<{ verifyMfa: Tokens }>(graphqlUrl, VERIFY_MFA, 'ExplorerVerifyMfa', { input })).verifyMfa;
  } else {
    tokens = result;
  }
  return { email: tokens.user.email, accessToken: tokens.accessToken, expiresAt: tokens.expiresAt };
}

/**
 * The headers editor's JSON with Authorization set to the token; any other header already there stays.
 * Text that is not a JSON object is replaced.
 */
export function withAuthorization(current: string, accessToken: string): string {
  let headers: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(current);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) headers = parsed as Record<string, unknown>;
  } catch {
    // empty or not JSON: start afresh
  }
  return JSON.stringify({ ...headers, Authorization: `Bearer ${accessToken}` }, null, 2);
}
