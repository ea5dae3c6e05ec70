import type {
  ApolloServerPlugin,
  GraphQLRequestContext,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { DOCUMENT_ERROR_CODES, ErrorCode, errorCodeSpec } from '../errors/codes';
import type { Metrics } from '../observability/metrics';
import type { GraphQLTrace } from '../observability/trace';
import type { Context } from './context';

export type { GraphQLTrace };

export interface RequestPluginOptions {
  metrics: Metrics;
  /**
   * With the auth cache on: resolves once this instance's cache has applied every change committed so far.
   * A mutation answers only after it (see willSendResponse).
   */
  syncAuth?: () => Promise<void>;
}

const MAX_LOGGED_NAME = 100;
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

// Apollo declares every hook async; these return a promise only when they have something to wait for
// (Apollo awaits whatever they return, a plain value as well).
type SyncOrAsync<F> = F extends (...args: infer A) => Promise<infer R> ? (...args: A) => R | Promise<R> : never;
type Listener = { [K in 'didResolveOperation' | 'willSendResponse']: SyncOrAsync<NonNullable<GraphQLRequestListener<Context>[K]>> };

/**
 * Everything Gatehouse does around each GraphQL operation over HTTP, in one plugin: Apollo calls every
 * listener in each of its ~8 request hooks, with a promise each, whether or not the listener has that hook,
 * so one listener costs less than three. It is one object shared by every request (what a request needs to
 * remember sits on its context's trace), and its hooks are synchronous unless they have something to wait for.
 *
 * - Observation: counts and times every operation, and records its outcome for the access log.
 * - HTTP semantics (what Apollo leaves to us), see httpSemantics below.
 * - Auth sync: a mutation answers only after this instance's auth cache has applied every change committed
 *   so far, its own included: a client that logs out and reuses the token at once is refused, here and (as
 *   the other instances receive the same notification at the same moment) everywhere.
 */
export function requestPlugin({ metrics, syncAuth }: RequestPluginOptions): ApolloServerPlugin<Context> {
  const listener: Listener = {
    didResolveOperation({ operation, contextValue }: GraphQLRequestContextDidResolveOperation<Context>) {
      if (!operation) return;
      const trace = contextValue.trace;
      trace.operationName ??= operation.name?.value.slice(0, MAX_LOGGED_NAME);
      const first = operation.selectionSet.selections.find((selection) => selection.kind === 'Field');
      trace.field = first?.kind === 'Field' ? first.name.value : undefined;
      trace.type = operation.operation;
    },
    willSendResponse(requestContext: GraphQLRequestContextWillSendResponse<Context>) {
      httpSemantics(requestContext);
      observe(metrics, requestContext);
      if (syncAuth && requestContext.operation?.operation === 'mutation') return syncAuth();
    },
  };
  const requestDidStart = ({ request, contextValue }: GraphQLRequestContext<Context>) => {
    const trace = contextValue.trace;
    trace.startedAt = performance.now();
    trace.operationName = request.operationName?.slice(0, MAX_LOGGED_NAME);
    return listener;
  };
  return { requestDidStart } as unknown as ApolloServerPlugin<Context>;
}

/** Metrics, and the outcome the access log writes. */
function observe(metrics: Metrics, { response, contextValue }: GraphQLRequestContextWillSendResponse<Context>): void {
  const trace = contextValue.trace;
  const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
  const errors = result?.errors;
  const field = trace.field ?? 'none';
  const type = trace.type ?? 'none';
  const seconds = (performance.now() - trace.startedAt!) / 1000;
  if (!errors || errors.length === 0) {
    trace.outcome = 'ok';
    metrics.countOperation(field, type, 'ok', seconds);
    if (field === 'login') countLogin(metrics, undefined, result?.data);
    return;
  }
  trace.outcome = describe(errors[0]);
  metrics.countOperation(field, type, String(errors[0].extensions?.code ?? 'ok'), seconds);
  countAuthOutcomes(metrics, field, errors);
  if (field === 'login') countLogin(metrics, errors[0], result?.data);
}

function describe(error: GraphQLFormattedError): string {
  const { code, reason } = error.extensions ?? {};
  return [code ?? 'ERROR', reason].filter(Boolean).join(':');
}

/** The root field that takes a refresh token (src/auth/auth.resolver.ts). */
const REFRESH_FIELD = 'refresh';

function countAuthOutcomes(metrics: Metrics, field: string, errors: readonly GraphQLFormattedError[]): void {
  for (const error of errors) {
    const { code, reason } = error.extensions ?? {};
    if (code === ErrorCode.RATE_LIMITED) metrics.rateLimited.inc({ field });
    // `refresh` refuses a refresh token, not an access token: the metric is about access tokens.
    if (code === ErrorCode.UNAUTHENTICATED && typeof reason === 'string' && reason.startsWith('TOKEN_') && field !== REFRESH_FIELD) {
      metrics.tokenRejections.inc({ reason });
    }
  }
}

function countLogin(metrics: Metrics, error: GraphQLFormattedError | undefined, data: unknown): void {
  const failure = error?.extensions;
  const succeeded = (data as { login?: unknown } | null | undefined)?.login;
  metrics.logins.inc({ result: succeeded ? 'success' : String(failure?.reason ?? failure?.code ?? 'ERROR') });
}

/**
 * The HTTP details Apollo leaves to us:
 * - No GraphQL response may be cached by a browser or proxy: several carry tokens.
 * - GraphQL over HTTP: a client that accepts only `application/json` SHOULD get 200 for a well-formed
 *   request whose document or variables fail (audits 572B, FDE2, 7B9B; the codes declared
 *   `documentError`); Apollo answers 400. Clients that accept `application/graphql-response+json` keep
 *   the 400, and a malformed request (BAD_REQUEST) stays 400.
 * - A request refused as a whole (no data, and every error carries one code declared `refusesRequest`)
 *   gets that code's HTTP status: a persisted query (they are off: see apollo.ts) 400 whatever the client
 *   accepts, a rate limit 429 with Retry-After, so proxies and HTTP clients see it for what it is.
 */
function httpSemantics({ request, response }: GraphQLRequestContextWillSendResponse<Context>): void {
  response.http.headers.set('cache-control', 'no-store');
  if (response.body.kind !== 'single') return;
  const { data, errors } = response.body.singleResult;
  if (!errors) return;
  const legacyJson = !(request.http?.headers.get('accept') ?? '').includes(GRAPHQL_RESPONSE);
  const documentError = errors.every((e) => DOCUMENT_ERROR_CODES.has(String(e.extensions?.code)));
  if (legacyJson && data === undefined && documentError && response.http.status === 400) response.http.status = 200;
  const refusal = errorCodeSpec(errors[0]?.extensions?.code);
  if (!refusal?.refusesRequest || data != null || !errors.every((e) => e.extensions?.code === refusal.code)) return;
  response.http.status = refusal.status;
  if (refusal.retryAfter) {
    response.http.headers.set('retry-after', String(Math.max(...errors.map((e) => Number(e.extensions?.retryAfter) || 1))));
  }
}
