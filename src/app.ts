import 'reflect-metadata';
import { getHeapStatistics } from 'node:v8';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { ConfigError, ensureDevelopmentEncryptionKey, ensureDevelopmentSecret, type Config } from './config';
import { openDatabase, type Database } from './database';
import { NotificationHub } from './db/notifications';
import { AuthCache, heapRoom } from './identity/auth-cache';
import { AuthStateListener } from './identity/auth-state-listener';
import { createApolloServer } from './graphql/apollo';
import { createContextFactory } from './graphql/context';
import { buildGraphQLSchema } from './schema';
import { connectionOptions, gracefulShutdown, limitConnections } from './http/connections';
import { registerAdminConsole } from './http/admin-console';
import { registerCors } from './http/cors';
import { registerHttpErrorHandlers } from './http/errors';
import { registerExplorer } from './http/explorer';
import { registerHealthRoutes } from './http/health';
import { registerJwksRoute } from './http/jwks';
import { exposeMetrics, type MetricsServer } from './http/metrics';
import { startJobs } from './jobs/job';
import { createLiveServer, type LiveServer } from './live/live.server';
import { chooseStore } from './limits/rate-limit.service';
import { loggingOptions, registerAccessLog } from './observability/logging';
import { Metrics } from './observability/metrics';
import { createServices, type Services } from './services';

export interface Gatehouse {
  fastify: FastifyInstance;
  database: Database;
  services: Services;
  /** The in-process auth state cache; undefined on the embedded database or with AUTH_CACHE=false. */
  authCache: AuthCache | undefined;
  /** The process's LISTEN connection and its subscribers; undefined on the embedded database. */
  notifications: NotificationHub | undefined;
  /** The live channel's sockets on this instance (src/live/). */
  live: LiveServer;
  /** Where METRICS_PORT serves /metrics, when it is set (and this is not a cluster worker). */
  metricsUrl: string | undefined;
  /** Stops taking requests, lets in-flight ones finish, then closes the database. */
  close(): Promise<void>;
}

/** Trusts the `hops` proxies nearest to us, whatever their addresses (proxy-addr's hop-count rule). */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

/** Wires config -> database -> services -> schema -> HTTP routes. Does not listen; main.ts and tests do. */
export async function createGatehouse(loaded: Config): Promise<Gatehouse> {
  // main.ts has resolved the secret already; tests and other embedders may hand over a loaded config as is.
  const config = ensureDevelopmentEncryptionKey(ensureDevelopmentSecret(loaded));
  // The cache relies on notifications between database connections, which the embedded database lacks.
  const cacheOn = config.authCache.enabled && config.databaseUrl !== undefined;
  const room = cacheOn ? heapRoom(config.authCache.maxEntries, getHeapStatistics().heap_size_limit) : undefined;
  if (room?.fatal) throw new ConfigError([room.message]);
  const fastify = Fastify({
    ...loggingOptions(config),
    bodyLimit: config.bodyLimitBytes,
    ...connectionOptions(config.http),
    // X-Forwarded-For is believed only from the proxies TRUST_PROXY names; by default the socket's address counts.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
  });
  if (room) fastify.log.warn(room.message);
  const database = await openDatabase(config, fastify.log);
  // While Redis is down or slow, limits fall back to memory at once instead of hanging requests.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500 }) : undefined;
  redis?.on('error', (error: Error) => fastify.log.warn({ err: { message: error.message } }, 'redis unavailable'));
  const authCache = cacheOn ? new AuthCache(config.authCache.maxEntries) : undefined;
  // Only on PostgreSQL (the embedded database does not deliver NOTIFY between connections); it opens its one
  // LISTEN connection only when something subscribes.
  const notifications = config.databaseUrl !== undefined ? new NotificationHub(config.databaseUrl) : undefined;
  if (authCache) notifications!.subscribe(new AuthStateListener(authCache, fastify.log));
  const metrics = new Metrics();
  metrics.collectProcessMetrics();
  limitConnections(fastify, config.http.maxConnections, metrics);
  metrics.watchPool(() => database.orm.em.getConnection().getKnex().client.pool);
  if (authCache) metrics.watchAuthCache(authCache);
  let metricsServer: MetricsServer | undefined;
  let live: LiveServer | undefined;
  try {
    const limitStore = chooseStore(redis, database.orm, database.embedded);
    const services = createServices(config, database.orm, fastify.log, limitStore, authCache, metrics);
    await services.mfa.assertKeyAvailable(database.orm.em.fork());
    const schema = await buildGraphQLSchema();
    // The live channel (src/live/): subscriptions over WebSocket on GET /graphql. It subscribes to the
    // notification hub, which therefore starts after it.
    live = createLiveServer(fastify, { schema, orm: database.orm, services, config, metrics, notifications });
    await notifications?.start();
    const syncAuth = notifications?.active ? () => notifications.sync() : undefined;
    const apollo = createApolloServer(schema, fastify, config, { metrics, syncAuth });
    await apollo.start();

    registerAccessLog(fastify);
    registerHttpErrorHandlers(fastify);
    await registerCors(fastify, config.corsOrigins);
    registerHealthRoutes(fastify, database);
    registerJwksRoute(fastify, services.tokens.keys);
    if (!config.production) registerExplorer(fastify);
    if (config.adminConsole) registerAdminConsole(fastify);
    const graphql = fastifyApolloHandler(apollo, { context: createContextFactory(database.orm, services, config) });
    fastify.route({ url: '/graphql', method: ['POST', 'OPTIONS'], handler: graphql });
    // GET: a WebSocket upgrade is the live channel; any other GET is GraphQL over HTTP.
    await live.route(fastify, graphql);
    metricsServer = await exposeMetrics(fastify, metrics.registry, config);
    // Background work (src/jobs/): started once everything is wired, stopped first in close().
    if (!config.mail.enabled) {
      fastify.log.warn('mail is disabled: NODE_ENV=production and no SMTP_URL; email verification, password reset and notices cannot be sent');
    } else {
      fastify.log.info(
        {
          mail: config.mail.smtp
            ? { smtp: `${config.mail.smtp.host}:${config.mail.smtp.port}`, tls: config.mail.smtp.tls }
            : { files: 'DATA_DIR/outbox' },
        },
        'mail outbox',
      );
    }
    const stopJobs = startJobs([
      () => services.housekeeping.schedule(database.orm, config.purgeIntervalSeconds, fastify.log),
      ...(config.mail.enabled ? [() => services.mailDispatcher.start()] : []),
    ]);
    const shutdown = gracefulShutdown(fastify, config.shutdownGraceSeconds);

    return {
      fastify,
      database,
      services,
      authCache,
      notifications,
      live,
      metricsUrl: metricsServer?.url,
      async close() {
        const graceEnds = Date.now() + config.shutdownGraceSeconds * 1000;
        await stopJobs();
        // Live sockets are told the server is going away (1001) before connections are cut.
        await live?.close();
        await shutdown();
        await metricsServer?.close();
        // Events queued while the database was unavailable get one last try, in what is left of the grace
        // period (at least a second), before their alerts are awaited and the database closes.
        await services.events.close(Math.max(graceEnds - Date.now(), 1_000));
        await services.alerts.close();
        await notifications?.stop();
        redis?.disconnect();
        await database.close();
      },
    };
  } catch (error) {
    await live?.close();
    await metricsServer?.close();
    await notifications?.stop();
    redis?.disconnect();
    await database.close();
    throw error;
  }
}
