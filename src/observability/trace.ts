/** What the access log line says about a GraphQL request; filled in by graphql/request.plugin.ts. */
export interface GraphQLTrace {
  /** The client's operationName, as sent (for logs only: clients choose it). */
  operationName?: string;
  /** The first root field, e.g. "login": from the schema, so safe as a metric label. */
  field?: string;
  type?: string;
  /** "ok", or the first error's code and reason, e.g. "UNAUTHENTICATED:TOKEN_REVOKED". */
  outcome?: string;
  /** performance.now() when Apollo started the operation, for its duration metric (not logged). */
  startedAt?: number;
}
