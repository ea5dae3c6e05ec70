import cluster from 'node:cluster';
import pino from 'pino';
import { createGatehouse } from './app';
import { runPrimary } from './cluster';
import { ensureDevelopmentSecret, loadConfig, type Config } from './config';
import { failureText } from './failure-text';
import { assertPortFree, explainListenError } from './http/port';
import { standardOutputWritten } from './observability/logging';

// Start-up only: config -> free ports -> database -> schema -> HTTP server. Exits 1 on any failure.
async function main(): Promise<void> {
  // Outside production without JWT_SECRET: the primary generates the DATA_DIR secret before any worker forks; workers read it.
  const config = ensureDevelopmentSecret(loadConfig());
  if (cluster.isPrimary) {
    // A port another process holds fails start-up before anything touches the database (migrations).
    // Workers listen through the primary, which checks for them.
    await assertPortFree('PORT', config.host, config.port);
    if (config.metrics.port !== undefined) await assertPortFree('METRICS_PORT', config.host, config.metrics.port);
  }
  if (config.workers > 1 && cluster.isPrimary) {
    await runPrimary(config, pino({ level: config.logLevel }));
    return;
  }
  await serve(config);
}

async function serve(config: Config): Promise<void> {
  // libuv reads it when its thread pool first starts, which nothing above has caused yet.
  process.env.UV_THREADPOOL_SIZE = String(config.threadPoolSize);
  const gatehouse = await createGatehouse(config);
  const log = gatehouse.fastify.log;
  if (config.jwt.secretSource !== 'env') {
    log.warn(`JWT_SECRET is not set: using a generated secret kept in ${config.dataDir}/jwt-secret (required in production)`);
  }
  if (config.mfa.keySource !== 'env') {
    log.warn(
      config.production
        ? 'ENCRYPTION_KEY is not set: second factors cannot be enrolled (openssl rand -base64 32)'
        : `ENCRYPTION_KEY is not set: second-factor secrets are encrypted with a generated key kept in ${config.dataDir}/encryption-key (required in production)`,
    );
  }
  if (config.production && !config.databaseUrl) {
    log.warn(
      `NODE_ENV=production on the embedded database (files in ${config.dataDir}): it runs inside this one process, ` +
        'serves one query at a time and has no replication or point-in-time recovery; set DATABASE_URL to a PostgreSQL server for production',
    );
  }
  try {
    await gatehouse.fastify.listen({ host: config.host, port: config.port });
  } catch (error) {
    await gatehouse.close();
    throw explainListenError(error, 'PORT', config.host, config.port);
  }
  log.info(`Gatehouse ready: POST http://${config.host}:${config.port}/graphql`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    gatehouse.close().then(
      () => standardOutputWritten().then(() => process.exit(0)),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        void standardOutputWritten().then(() => process.exit(1));
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(failureText(error));
  process.exit(1);
});
