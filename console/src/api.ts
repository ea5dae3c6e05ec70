// The console's only way to the server: GraphQL over HTTP at ../graphql, the access token in memory, the
// refresh token in the HttpOnly cookie (REFRESH_TOKEN_COOKIE=true) or, without it, in memory too.

/** The API, relative to the page (served at <server>/admin/). */
export const GRAPHQL_URL = new URL('../graphql', location.href).href;

export interface GraphQLErrorEntry {
  message: string;
  extensions?: { code?: string; reason?: string; [key: string]: unknown };
}

/** A GraphQL error answer, or a network failure (code NETWORK). Its text names the code and reason. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** "LAST_ADMIN: At least one enabled ADMIN must remain." or "UNAUTHENTICATED · TOKEN_EXPIRED: ..." */
  get text(): string {
    return `${[this.code, this.reason].filter(Boolean).join(' · ')}: ${this.message}`;
  }
}

/** What any error thrown anywhere reads as on screen: never a blank. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.text;
  if (error instanceof Error && error.message) return error.message;
  return String(error) || 'Something went wrong.';
}

export interface User {
  id: string;
  email: string;
  role: 'ADMIN' | 'USER';
  emailVerifiedAt: string | null;
  mfaEnabled: boolean;
  disabledAt: string | null;
  createdAt: string;
}

export interface Tokens {
  accessToken: string;
  expiresAt: string;
  refreshToken: string;
  user: User;
}

export const USER_FIELDS = 'id email role emailVerifiedAt mfaEnabled disabledAt createdAt';
export const TOKEN_FIELDS = `accessToken expiresAt refreshToken user { ${USER_FIELDS} }`;

interface Credentials {
  accessToken?: string;
  /** Only without the refresh cookie: the server then hands it over in the body. */
  refreshToken?: string;
  expiresAt?: string;
}

/** Asks the operator for their password (and code) when the server wants a recent sign-in; null: cancelled. */
export type ReauthPrompt = (why: string) => Promise<{ password: string; code?: string } | null>;

const REFRESH = `mutation ConsoleRefresh($token: String!) { refresh(refreshToken: $token) { ${TOKEN_FIELDS} } }`;
const REAUTHENTICATE = `mutation ConsoleReauthenticate($input: ReauthenticateInput!) { reauthenticate(input: $input) { ${TOKEN_FIELDS} } }`;

/** A 6-digit code is a TOTP code; anything else is a recovery code. */
export const codeMethod = (code: string): 'TOTP' | 'RECOVERY_CODE' => (/^\d{6}$/.test(code) ? 'TOTP' : 'RECOVERY_CODE');

export class Api {
  private credentials: Credentials = {};
  private refreshing: Promise<Tokens> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Called with each new access token (the live socket renews its own), and with undefined on sign-out. */
  onToken: (token: string | undefined) => void = () => undefined;
  /** Called when the session cannot be kept (refresh refused): the console shows the sign-in form. */
  onSignedOut: (why: string) => void = () => undefined;
  reauthPrompt: ReauthPrompt = async () => null;

  get accessToken(): string | undefined {
    return this.credentials.accessToken;
  }

  /** Keeps a new token pair (login, verifyMfa, refresh, reauthenticate), and refreshes a minute before expiry. */
  adopt(tokens: Tokens): void {
    this.credentials = {
      accessToken: tokens.accessToken,
      expiresAt: tokens.expiresAt,
      // "" with the refresh cookie on: the cookie holds it, out of the page's reach.
      refreshToken: tokens.refreshToken || undefined,
    };
    clearTimeout(this.refreshTimer);
    const wait = Math.max(5_000, new Date(tokens.expiresAt).getTime() - Date.now() - 60_000);
    this.refreshTimer = setTimeout(() => void this.refresh().catch((error) => this.onSignedOut(errorText(error))), wait);
    this.onToken(tokens.accessToken);
  }

  forget(): void {
    clearTimeout(this.refreshTimer);
    this.credentials = {};
    this.onToken(undefined);
  }

  /** One refresh at a time: concurrent callers share it (a refresh token works once). */
  refresh(): Promise<Tokens> {
    this.refreshing ??= this.post<{ refresh: Tokens }>(REFRESH, { token: this.credentials.refreshToken ?? '' }, false)
      .then(({ refresh }) => {
        this.adopt(refresh);
        return refresh;
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * Sends one operation as the signed-in operator. An expired access token is refreshed once and the
   * operation retried; a sensitive one that wants a recent sign-in asks for the password (and code),
   * calls reauthenticate, and is retried.
   */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    try {
      return await this.post<T>(query, variables);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'UNAUTHENTICATED') throw error;
      if (error.reason === 'TOKEN_EXPIRED') {
        try {
          await this.refresh();
        } catch (refreshError) {
          this.onSignedOut(errorText(refreshError));
          throw refreshError;
        }
        return this.post<T>(query, variables);
      }
      if (error.reason === 'REAUTHENTICATION_REQUIRED') {
        const answer = await this.reauthPrompt(error.message);
        if (!answer) throw new ApiError('Cancelled: the action needs your password.', 'CANCELLED');
        const code = answer.code?.trim();
        const input = { password: answer.password, ...(code ? { method: codeMethod(code), code } : {}) };
        this.adopt((await this.post<{ reauthenticate: Tokens }>(REAUTHENTICATE, { input })).reauthenticate);
        return this.post<T>(query, variables);
      }
      throw error;
    }
  }

  /** One POST; throws ApiError with the first error's code and reason. */
  async post<T>(query: string, variables: Record<string, unknown> = {}, signedIn = true): Promise<T> {
    const token = signedIn ? this.credentials.accessToken : undefined;
    let response: Response;
    try {
      response = await fetch(GRAPHQL_URL, {
        method: 'POST',
        // Same origin: the refresh cookie (path /graphql) travels with it.
        credentials: 'same-origin',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      throw new ApiError(`The server cannot be reached (${errorText(error)}).`, 'NETWORK');
    }
    let body: { data?: T | null; errors?: GraphQLErrorEntry[] };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new ApiError(`The server answered HTTP ${response.status} without a GraphQL body.`, `HTTP_${response.status}`);
    }
    const first = body.errors?.[0];
    if (first) throw new ApiError(first.message || 'No message.', first.extensions?.code ?? 'ERROR', first.extensions?.reason);
    if (!body.data) throw new ApiError(`The server answered HTTP ${response.status} without data.`, `HTTP_${response.status}`);
    return body.data;
  }
}
