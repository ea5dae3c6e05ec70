import type { ApolloServerPlugin } from '@apollo/server';
import { DOCUMENT_ERROR_CODES, errorCodeSpec } from '../errors/codes';

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

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
          if (!errors) return;
          const documentError = errors.every((e) => DOCUMENT_ERROR_CODES.has(String(e.extensions?.code)));
          if (legacyJson && data === undefined && documentError && response.http.status === 400) response.http.status = 200;
          const refusal = errorCodeSpec(errors[0]?.extensions?.code);
          if (!refusal?.refusesRequest || data != null || !errors.every((e) => e.extensions?.code === refusal.code)) return;
          response.http.status = refusal.status;
          if (refusal.retryAfter) {
            response.http.headers.set('retry-after', String(Math.max(...errors.map((e) => Number(e.extensions?.retryAfter) || 1))));
          }
        },
      };
    },
  };
}
