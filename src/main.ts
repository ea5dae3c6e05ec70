import cluster from 'node:cluster';
import { setFlagsFromString } from 'node:v8';
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
  // V8 moves an allocation site's objects straight into the old generation once enough of them outlive a
  // young-generation collection ("allocation-site pretenuring"). Requests that wait ~60 ms on bcrypt
  // (register, login) teach it that the objects every request makes (request, reply, context, promises)
  // live long; afterwards every request's objects go to the old generation and are collected by full
  // mark-compacts. Measured, `{ __typename }` on a server that had served 200 registrations: a
  // mark-compact every 0.5 s instead of every 1.6 s, scavenges of 3.7 ms instead of 1.2 ms, and 93-151 us
  // of CPU per request instead of 76-80 us with it off; `me` 131.6 -> 104.6 us. Set here, not with the
  // other flags (scripts/node-flags.js), so it holds however the process is started: NODE_OPTIONS
  // refuses this flag.
  setFlagsFromString('--no-allocation-site-pretenuring');
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
