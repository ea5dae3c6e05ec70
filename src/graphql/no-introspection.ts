import { ApolloServerValidationErrorCode } from '@apollo/server/errors';
import { GraphQLError, type ValidationRule } from 'graphql';

export const INTROSPECTION_OFF = 'Introspection is off in production. The schema is published as schema.graphql in the Gatehouse repository.';

/**
 * Production's refusal of `__schema` and `__type`, in place of Apollo's (`introspection: false`), whose
 * message tells clients to "pass introspection: true to ApolloServer", which is no Gatehouse setting.
 * Same code and `validationErrorCode` as Apollo's, so clients that look for those still find them.
 */
export const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      context.reportError(
        new GraphQLError(INTROSPECTION_OFF, {
          nodes: [node],
          extensions: { validationErrorCode: ApolloServerValidationErrorCode.INTROSPECTION_DISABLED },
        }),
      );
    }
  },
});
