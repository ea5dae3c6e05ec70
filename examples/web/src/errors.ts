import { CombinedGraphQLErrors, ServerError } from '@apollo/client';

/** What the page shows for a failure: Gatehouse's machine-readable code first, then its message. */
export interface ShownError {
  /** `extensions.code`, e.g. UNAUTHENTICATED; NETWORK_ERROR or HTTP_<status> when there was no GraphQL answer. */
  code: string;
  /** `extensions.reason` (with UNAUTHENTICATED), e.g. INVALID_CREDENTIALS. */
  reason?: string;
  /** `extensions.field` (with BAD_USER_INPUT): which input was refused. */
  field?: string;
  message: string;
}

interface GraphQLErrorLike {
  message: string;
  extensions?: Record<string, unknown>;
}

export function describeError(error: unknown): ShownError {
  if (CombinedGraphQLErrors.is(error) && error.errors.length > 0) return fromGraphQL(error.errors[0]);
  if (ServerError.is(error)) {
    // Proxies and some failures answer without a GraphQL body; when there is one, its code is the story.
    const first = parseErrors(error.bodyText)?.[0];
    return first ? fromGraphQL(first) : { code: `HTTP_${error.statusCode}`, message: error.message };
  }
  if (error instanceof TypeError) {
    // fetch() rejects with a bare TypeError when the server is down or CORS refused the page's origin.
    return { code: 'NETWORK_ERROR', message: 'Cannot reach Gatehouse. Is it running, with this page in CORS_ORIGINS?' };
  }
  return { code: 'ERROR', message: error instanceof Error ? error.message : String(error) };
}

/** The session is over (or never was): the app falls back to the sign-in screen. */
export function isUnauthenticated(error: unknown): boolean {
  return CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
}

/** An access token past its `exp`: the one failure a refresh can cure. */
export function isTokenExpired(error: unknown): boolean {
  return (
    CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED' && e.extensions.reason === 'TOKEN_EXPIRED')
  );
}

function fromGraphQL({ message, extensions = {} }: GraphQLErrorLike): ShownError {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return { code: text(extensions.code) ?? 'ERROR', reason: text(extensions.reason), field: text(extensions.field), message };
}

function parseErrors(bodyText: string): GraphQLErrorLike[] | undefined {
  try {
    const { errors } = JSON.parse(bodyText) as { errors?: GraphQLErrorLike[] };
    return Array.isArray(errors) ? errors : undefined;
  } catch {
    return undefined;
  }
}
