// The explorer's "Sign in": the login mutation, and the request headers that carry its access token.

export interface SignedIn {
  email: string;
  accessToken: string;
  expiresAt: string;
}

interface LoginResponse {
  data?: { login: { accessToken: string; expiresAt: string; user: { email: string } } } | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

const LOGIN = `mutation ExplorerLogin($input: LoginInput!) {
  login(input: $input) { accessToken expiresAt user { email } }
}`;

/** Logs in through the GraphQL endpoint; throws an Error saying why not (with Gatehouse's code). */
export async function login(graphqlUrl: string, email: string, password: string): Promise<SignedIn> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: LOGIN, operationName: 'ExplorerLogin', variables: { input: { email, password } } }),
  });
  const body = (await response.json()) as LoginResponse;
  const error = body.errors?.[0];
  if (error || !body.data) {
    const code = [error?.extensions?.code, error?.extensions?.reason].filter(Boolean).join(' · ');
    throw new Error(`${code ? `${code}: ` : ''}${error?.message ?? `HTTP ${response.status}`}`);
  }
  const { accessToken, expiresAt, user } = body.data.login;
  return { email: user.email, accessToken, expiresAt };
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
