import type { ApolloServerPlugin } from '@apollo/server';

const GRAPHQL_RESPONSE = 'application/graphql-response+json';
// Failures of a well-formed request's document or variables; a malformed request (BAD_REQUEST) stays 400.
const DOCUMENT_ERRORS = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

/**
 * Two HTTP details Apollo leaves to us:
 * - No GraphQL response may be cached by a browser or proxy: several carry tokens.
 * - GraphQL over HTTP: a client that accepts only `application/json` SHOULD get 200 for a well-formed
 *   request whose document or variables fail (audits 572B, FDE2, 7B9B); Apollo answers 400. Clients that
 *   accept `application/graphql-response+json` keep the 400.
 * - A persisted query (they are off: see apollo.ts) is a client error: 400, whatever the client accepts.
 * - A request refused as a whole by a rate limit (no data, only RATE_LIMITED errors) is HTTP 429 with
 *   Retry-After, so proxies and HTTP clients see it for what it is.
 */
export function httpSemanticsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart({ request }) {
      const accept = request.http?.headers.get('accept') ?? '';
      const legacyJson = !accept.includes(GRAPHQL_RESPONSE);
      return {
        async willSendResponse({ response }) {
          response.http.headers.set('cache-control', 'no-store');
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          const documentError = errors?.every((e) => DOCUMENT_ERRORS.has(String(e.extensions?.code)));
          if (legacyJson && data === undefined && documentError && response.http.status === 400) response.http.status = 200;
          // Apollo answers 200 so that APQ clients read the body; they read it from a 400 too, and a request for
          // a feature the server does not offer is a client error like any other malformed request.
          if (errors?.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_SUPPORTED')) response.http.status = 400;
          const retryAfter = errors?.every((e) => e.extensions?.code === 'RATE_LIMITED')
            ? Math.max(...errors.map((e) => Number(e.extensions?.retryAfter) || 1))
            : undefined;
          if (retryAfter !== undefined && data === null) {
            response.http.status = 429;
            response.http.headers.set('retry-after', String(retryAfter));
          }
        },
      };
    },
  };
}
