import 'reflect-metadata';
import { isObjectType, lexicographicSortSchema, printSchema, specifiedDirectives, type GraphQLSchema } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import { authChecker } from './graphql/auth-checker';
import { AuthResolver } from './auth/auth.resolver';
import { REQUIRES_RECENT_AUTH_DIRECTIVE, requiresRecentAuth } from './graphql/step-up.decorator';
import { SecurityEventResolver } from './events/security-event.resolver';
import { SessionResolver } from './sessions/session.resolver';
import { AdminResolver } from './admin/admin.resolver';
import { LiveResolver } from './live/live.resolver';
import { MfaResolver, MfaUserFieldsResolver } from './mfa/mfa.resolver';
import { PasskeyResolver } from './passkeys/passkey.resolver';
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
    resolvers: [
      AuthResolver,
      UserResolver,
      SessionResolver,
      AdminResolver,
      SecurityEventResolver,
      RecoveryResolver,
      MfaResolver,
      MfaUserFieldsResolver,
      PasskeyResolver,
      LiveResolver,
    ],
    directives: [...specifiedDirectives, REQUIRES_RECENT_AUTH_DIRECTIVE],
    authChecker,
    authMode: 'error',
    // Inputs are checked by the services, which raise BAD_USER_INPUT with the offending field.
    validate: false,
    // Each subscription brings its own `subscribe` (src/live/); type-graphql insists on a PubSub all the same.
    pubSub: NO_PUBSUB,
  });
}

/**
 * The SDL committed as schema.graphql; sorted so that it does not change with declaration order. graphql-js
 * prints directive definitions but not their uses, so the fields that require a recent authentication get
 * `@requiresRecentAuth` added here, from their extensions (step-up.decorator.ts).
 */
export const printSchemaFile = (schema: GraphQLSchema): string => {
  const sorted = lexicographicSortSchema(schema);
  let sdl = printSchema(sorted);
  for (const type of Object.values(sorted.getTypeMap())) {
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      if (requiresRecentAuth(field)) sdl = markField(sdl, type.name, field.name, `@${REQUIRES_RECENT_AUTH_DIRECTIVE.name}`);
    }
  }
  return `# Generated from the code by \`npm run schema:emit\`. Do not edit.\n\n${sdl}\n`;
};

/** Appends `directive` to the definition of `typeName.fieldName` in printed SDL (one line, or args over several ending in "  ): T"). */
function markField(sdl: string, typeName: string, fieldName: string, directive: string): string {
  const typeStart = sdl.search(new RegExp(`^type ${typeName} \\{`, 'm'));
  const typeEnd = sdl.indexOf('\n}', typeStart);
  const fieldStart = sdl.slice(typeStart, typeEnd).search(new RegExp(`^  ${fieldName}[(:]`, 'm'));
  if (typeStart < 0 || fieldStart < 0) throw new Error(`printSchemaFile: ${typeName}.${fieldName} not found`);
  let at = typeStart + fieldStart;
  const firstLineEnd = sdl.indexOf('\n', at);
  if (sdl.slice(at, firstLineEnd).endsWith('(')) at = sdl.indexOf('\n  ): ', at) + 1;
  const lineEnd = sdl.indexOf('\n', at);
  return `${sdl.slice(0, lineEnd)} ${directive}${sdl.slice(lineEnd)}`;
}
