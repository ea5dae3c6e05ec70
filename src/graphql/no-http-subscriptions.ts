import { GraphQLError, OperationTypeNode, type ValidationRule } from 'graphql';

/** Where subscriptions are served: this same path, upgraded to a WebSocket (src/live/). */
export const SUBSCRIPTIONS_ENDPOINT = '/graphql';

export const SUBSCRIPTIONS_OVER_HTTP = `Subscriptions are not served over HTTP: subscribe over WebSocket (ws:// or wss://) at ${SUBSCRIPTIONS_ENDPOINT} with the graphql-ws protocol (graphql-transport-ws).`;

/**
 * Refuses a `subscription` operation before anything runs. Without it, graphql-js validates one happily
 * (graphql 16 does not check that the schema has the root type) and fails only while executing, with an
 * error that has no code and so reaches the client as INTERNAL_SERVER_ERROR and the log as "unexpected
 * error". A validation rule also runs before Apollo's GET check, so GET and POST say the same. It belongs
 * to the HTTP server only: the live socket (src/live/live.server.ts) validates without it.
 */
export const noHttpSubscriptionsRule: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
      context.reportError(new GraphQLError(SUBSCRIPTIONS_OVER_HTTP, { nodes: [operation] }));
    }
  },
});
