import { GraphQLError, OperationTypeNode, type ValidationRule } from 'graphql';

/** The WebSocket path where subscriptions are served, once they are; none yet. */
export const SUBSCRIPTIONS_ENDPOINT: string | undefined = undefined;

export const SUBSCRIPTIONS_OVER_HTTP = SUBSCRIPTIONS_ENDPOINT
  ? `Subscriptions are not served over HTTP: subscribe over WebSocket at ${SUBSCRIPTIONS_ENDPOINT}.`
  : 'Subscriptions are not served over HTTP, and this server has no WebSocket endpoint for them yet.';

/**
 * Refuses a `subscription` operation before anything runs. Without it, graphql-js validates one happily
 * (graphql 16 does not check that the schema has the root type) and fails only while executing, with an
 * error that has no code and so reaches the client as INTERNAL_SERVER_ERROR and the log as "unexpected
 * error". A validation rule also runs before Apollo's GET check, so GET and POST say the same. It belongs
 * to the HTTP server only: a WebSocket server would validate without it.
 */
export const noHttpSubscriptionsRule: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
      context.reportError(new GraphQLError(SUBSCRIPTIONS_OVER_HTTP, { nodes: [operation] }));
    }
  },
});
