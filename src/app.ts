import 'reflect-metadata';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config';
import { openDatabase, type Database } from './db/database';
import { createApolloServer } from './graphql/apollo';
import { createContextFactory } from './graphql/context';
import { buildGraphQLSchema } from './graphql/schema';
import { registerHttpErrorHandlers } from './http/errors';
import { registerHealthRoute } from './http/health';
import { registerJwksRoute } from './http/jwks';
import { createServices, type Services } from './services';

export interface Gatehouse {
  fastify: FastifyInstance;
  database: Database;
  services: Services;
  /** Stops taking requests, lets in-flight ones finish, then closes the database. */
  close(): Promise<void>;
}

/** Wires config -> database -> services -> schema -> HTTP routes. Does not listen; main.ts and tests do. */
export async function createGatehouse(config: Config): Promise<Gatehouse> {
  const fastify = Fastify({
    logger: { level: config.logLevel, redact: ['req.headers.authorization'] },
    bodyLimit: config.bodyLimitBytes,
    // X-Forwarded-For is not trusted: the client address is the socket's.
    trustProxy: false,
  });
  const database = await openDatabase(config, fastify.log);
  try {
    const services = createServices(config, database.orm, fastify.log);
    const apollo = createApolloServer(await buildGraphQLSchema(), fastify, config);
    await apollo.start();

    registerHttpErrorHandlers(fastify);
    registerHealthRoute(fastify, database);
    registerJwksRoute(fastify, services.tokens.keys);
    fastify.route({
      url: '/graphql',
      method: ['GET', 'POST', 'OPTIONS'],
      handler: fastifyApolloHandler(apollo, { context: createContextFactory(database.orm, services, config) }),
    });
    const stopPurge = services.housekeeping.schedule(database.orm, config.purgeIntervalSeconds, fastify.log);

    return {
      fastify,
      database,
      services,
      async close() {
        await stopPurge();
        await fastify.close();
        await services.alerts.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
