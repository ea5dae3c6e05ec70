import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../errors/codes';
import type { Metrics } from '../observability/metrics';
import type { GraphQLTrace } from '../observability/trace';

export type { GraphQLTrace };
import type { Context } from './context';

const MAX_LOGGED_NAME = 100;

/** Counts and times every GraphQL operation, and records its outcome for the access log. */
export function observePlugin(metrics: Metrics): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request, contextValue }) {
      const started = process.hrtime.bigint();
      const trace = contextValue.trace;
      trace.operationName = request.operationName?.slice(0, MAX_LOGGED_NAME);
      return {
        async didResolveOperation({ operation }) {
          if (!operation) return;
          trace.operationName ??= operation.name?.value.slice(0, MAX_LOGGED_NAME);
          const first = operation.selectionSet.selections.find((selection) => selection.kind === 'Field');
          trace.field = first?.kind === 'Field' ? first.name.value : undefined;
          trace.type = operation.operation;
        },
        async willSendResponse({ response }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const errors = result?.errors ?? [];
          trace.outcome = errors.length === 0 ? 'ok' : describe(errors[0]);
          const field = trace.field ?? 'none';
          const type = trace.type ?? 'none';
          metrics.requests.inc({ field, type, outcome: String(errors[0]?.extensions?.code ?? 'ok') });
          metrics.duration.observe({ field, type }, Number(process.hrtime.bigint() - started) / 1e9);
          countAuthOutcomes(metrics, field, errors, result?.data);
        },
      };
    },
  };
}

function describe(error: GraphQLFormattedError): string {
  const { code, reason } = error.extensions ?? {};
  return [code ?? 'ERROR', reason].filter(Boolean).join(':');
}

/** The root field that takes a refresh token (src/auth/auth.resolver.ts). */
const REFRESH_FIELD = 'refresh';

function countAuthOutcomes(metrics: Metrics, field: string, errors: readonly GraphQLFormattedError[], data: unknown): void {
  for (const error of errors) {
    const { code, reason } = error.extensions ?? {};
    if (code === ErrorCode.RATE_LIMITED) metrics.rateLimited.inc({ field });
    // `refresh` refuses a refresh token, not an access token: the metric is about access tokens.
    if (code === ErrorCode.UNAUTHENTICATED && typeof reason === 'string' && reason.startsWith('TOKEN_') && field !== REFRESH_FIELD) {
      metrics.tokenRejections.inc({ reason });
    }
  }
  if (field !== 'login') return;
  const failure = errors[0]?.extensions;
  const succeeded = (data as { login?: unknown } | null | undefined)?.login;
  metrics.logins.inc({ result: succeeded ? 'success' : String(failure?.reason ?? failure?.code ?? 'ERROR') });
}
