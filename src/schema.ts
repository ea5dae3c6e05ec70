import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from './graphql/auth-checker';
import { AuthResolver } from './auth/auth.resolver';
import { SecurityEventResolver } from './events/security-event.resolver';
import { SessionResolver } from './sessions/session.resolver';
import { AdminResolver } from './admin/admin.resolver';
import { RecoveryResolver } from './recovery/recovery.resolver';
import { UserResolver } from './users/user.resolver';

export function buildGraphQLSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [AuthResolver, UserResolver, SessionResolver, AdminResolver, SecurityEventResolver, RecoveryResolver],
    authChecker,
    authMode: 'error',
    // Inputs are checked by the services, which raise BAD_USER_INPUT with the offending field.
    validate: false,
  });
}

/** The SDL committed as schema.graphql; sorted so that it does not change with declaration order. */
export const printSchemaFile = (schema: GraphQLSchema): string =>
  `# Generated from the code by \`npm run schema:emit\`. Do not edit.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
