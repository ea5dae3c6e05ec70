import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config';
import type { Context } from './context';
import { createFormatError } from './format-error';

export function createApolloServer(schema: GraphQLSchema, fastify: FastifyInstance, config: Pick<Config, 'production' | 'exposeStackTraces'>) {
  return new ApolloServer<Context>({
    schema,
    introspection: !config.production,
    includeStacktraceInErrorResponses: config.exposeStackTraces,
    formatError: createFormatError(fastify.log, config.exposeStackTraces),
    // Both are Apollo's defaults; stated so that nobody turns them off by accident.
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    plugins: [fastifyApolloDrainPlugin(fastify), ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : [])],
  });
}
