import type { ApolloServerPlugin } from '@apollo/server';

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/**
 * Two HTTP details Apollo leaves to us:
 * - No GraphQL response may be cached by a browser or proxy: several carry tokens.
 * - GraphQL over HTTP: a client that accepts only `application/json` SHOULD get 200 for a well-formed
 *   request whose document or variables fail (audits 572B, FDE2, 7B9B); Apollo answers 400. Clients that
 *   accept `application/graphql-response+json` keep the 400.
 */
export function httpSemanticsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart({ request }) {
      const accept = request.http?.headers.get('accept') ?? '';
      const legacyJson = !accept.includes(GRAPHQL_RESPONSE);
      return {
        async willSendResponse({ response }) {
          response.http.headers.set('cache-control', 'no-store');
          const requestError = response.body.kind === 'single' && !('data' in response.body.singleResult);
          if (legacyJson && requestError && response.http.status === 400) response.http.status = 200;
        },
      };
    },
  };
}
