import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import { authChecker } from './graphql/auth-checker';
import { AuthResolver } from './auth/auth.resolver';
import { SecurityEventResolver } from './events/security-event.resolver';
import { SessionResolver } from './sessions/session.resolver';
import { AdminResolver } from './admin/admin.resolver';
import { LiveResolver } from './live/live.resolver';
import { RecoveryResolver } from './recovery/recovery.resolver';
import { UserResolver } from './users/user.resolver';

const NO_PUBSUB: PubSub = {
  publish: () => {
    throw new Error('no PubSub: subscriptions declare their own `subscribe`');
  },
  subscribe: () => {
    throw new Error('no PubSub: subscriptions declare their own `subscribe`');
  },
};

export function buildGraphQLSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [AuthResolver, UserResolver, SessionResolver, AdminResolver, SecurityEventResolver, RecoveryResolver, LiveResolver],
    authChecker,
    authMode: 'error',
    // Inputs are checked by the services, which raise BAD_USER_INPUT with the offending field.
    validate: false,
    // Each subscription brings its own `subscribe` (src/live/); type-graphql insists on a PubSub all the same.
    pubSub: NO_PUBSUB,
  });
}

/** The SDL committed as schema.graphql; sorted so that it does not change with declaration order. */
export const printSchemaFile = (schema: GraphQLSchema): string =>
  `# Generated from the code by \`npm run schema:emit\`. Do not edit.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
