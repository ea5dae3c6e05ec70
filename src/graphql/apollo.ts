import { ApolloServer } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config';
import { authFieldLimitRule } from './auth-field-limit';
import type { Context } from './context';
import { createFormatError } from './format-error';
import { noHttpSubscriptionsRule } from './no-http-subscriptions';
import { noIntrospectionRule } from './no-introspection';
import { requestPlugin, type RequestPluginOptions } from './request.plugin';

export function createApolloServer(
  schema: GraphQLSchema,
  fastify: FastifyInstance,
  config: Pick<Config, 'production' | 'exposeStackTraces' | 'graphqlLimits'>,
  requests: RequestPluginOptions,
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
    // Armor hides field suggestions only, and leaves "[Suggestion hidden]?" behind; formatError removes
    // every kind of suggestion in production instead.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return new ApolloServer<Context>({
    schema,
    // Off in production all the same: noIntrospectionRule below refuses it, with a message of our own.
    introspection: true,
    includeStacktraceInErrorResponses: config.exposeStackTraces,
    formatError: createFormatError(fastify.log, { exposeStack: config.exposeStackTraces, hideSuggestions: config.production }),
    // CSRF prevention admits only what a browser must preflight: a non-form content type, or one of these
    // headers (Apollo's two defaults, plus `authorization`). No page can attach an Authorization header to a
    // simple cross-site request: the header forces a preflight, which CORS answers only for CORS_ORIGINS. So
    // an authenticated GET query (urql's default) is no forgery. The refresh cookie stays protected: using it
    // needs no Bearer token, so a cross-site form POST or GET carrying it is still refused here, and mutations
    // over GET are refused anyway. (Cached Basic credentials, which browsers attach on their own, authenticate
    // nothing in Gatehouse, and the cookie is SameSite=Strict besides.)
    csrfPrevention: { requestHeaders: ['x-apollo-operation-name', 'apollo-require-preflight', 'authorization'] },
    // Apollo's default; stated so that nobody turns it on by accident.
    allowBatchedHttpRequests: false,
    // No automatic persisted queries: an auth server has a handful of small operations, and APQ's cache
    // would be one more store that any anonymous client fills. Every `persistedQuery` extension answers
    // PERSISTED_QUERY_NOT_SUPPORTED (HTTP 400, see request.plugin.ts), which APQ clients take as "send
    // the full query"; Apollo's own hash and version checks, which answer codeless errors that would
    // reach clients as INTERNAL_SERVER_ERROR, are never reached.
    persistedQueries: false,
    // main.ts owns SIGTERM/SIGINT: Apollo's own handler would stop it and re-raise the signal, killing the
    // process before in-flight requests finish and the database closes.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [
      ...armor.validationRules,
      authFieldLimitRule(limits.authFieldsPerOperation),
      noHttpSubscriptionsRule,
      ...(config.production ? [noIntrospectionRule] : []),
    ],
    plugins: [
      // Apollo's cache-control plugin, on by default, wraps every resolver of every request to compute a
      // cache policy (and would set cache-control from it); every answer here is `no-store` (see
      // request.plugin.ts), so that work is thrown away. Off: no per-field wrapper at all.
      ApolloServerPluginCacheControlDisabled(),
      ...armor.plugins,
      // Metrics, the access log's outcome, HTTP semantics and auth sync: one listener per request.
      requestPlugin(requests),
      fastifyApolloDrainPlugin(fastify),
      // Outside production GET /graphql in a browser is Apollo Sandbox, loaded from Apollo's CDN (so it needs
      // the internet), with its telemetry off; /explorer is the offline alternative (src/http/explorer.ts).
      config.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: { runTelemetry: false } }),
    ],
  });
}
