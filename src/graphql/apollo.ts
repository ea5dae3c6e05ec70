import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config';
import { authFieldLimitRule } from './auth-field-limit';
import type { Context } from './context';
import { createFormatError } from './format-error';
import { httpSemanticsPlugin } from './http-semantics.plugin';

export function createApolloServer(
  schema: GraphQLSchema,
  fastify: FastifyInstance,
  config: Pick<Config, 'production' | 'exposeStackTraces' | 'graphqlLimits'>,
  plugins: ApolloServerPlugin<Context>[],
) {
  const limits = config.graphqlLimits;
  // Depth, aliases, tokens, directives and cost, checked before execution (OWASP GraphQL cheat sheet).
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth },
    maxAliases: { n: limits.maxAliases },
    // graphql-js counts tokens while parsing (parseOptions below), which fails as a clean GRAPHQL_PARSE_FAILED;
    // armor's own token plugin answers 500 to any syntax error.
    maxTokens: { enabled: false },
    maxDirectives: { n: limits.maxDirectives },
    costLimit: { maxCost: limits.maxCost },
    // "Did you mean ...?" would describe the schema to someone who may not introspect it.
    blockFieldSuggestion: { enabled: config.production },
  }).protect();
  return new ApolloServer<Context>({
    schema,
    introspection: !config.production,
    includeStacktraceInErrorResponses: config.exposeStackTraces,
    formatError: createFormatError(fastify.log, config.exposeStackTraces),
    // Both are Apollo's defaults; stated so that nobody turns them off by accident.
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM/SIGINT: Apollo's own handler would stop it and re-raise the signal, killing the
    // process before in-flight requests finish and the database closes.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [...armor.validationRules, authFieldLimitRule(limits.authFieldsPerOperation)],
    plugins: [
      ...armor.plugins,
      httpSemanticsPlugin(),
      ...plugins,
      fastifyApolloDrainPlugin(fastify),
      // Outside production GET /graphql in a browser is Apollo Sandbox, loaded from Apollo's CDN (so it needs
      // the internet), with its telemetry off; /explorer is the offline alternative (src/http/explorer.ts).
      config.production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: { runTelemetry: false } }),
    ],
  });
}
