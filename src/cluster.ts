import cluster, { type Worker } from 'node:cluster';
import type { FastifyBaseLogger } from 'fastify';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from './config';
import { startMetricsServer } from './http/metrics';

const RESTART_DELAY_MS = 1_000;

/**
 * The primary of WORKERS=N: forks N servers that share the port (node:cluster hands out connections),
 * replaces one that dies, and on SIGTERM/SIGINT lets every worker shut down gracefully before it exits.
 * A worker that fails before it listens (bad config, database unreachable) stops the whole group: a crash
 * loop would only hide the error.
 */
export async function runPrimary(config: Pick<Config, 'workers' | 'threadPoolSize' | 'host' | 'metrics'>, log: FastifyBaseLogger): Promise<void> {
  const { workers } = config;
  // The workers read the same environment; the pool size is fixed here, before any thread starts.
  const env = { UV_THREADPOOL_SIZE: String(config.threadPoolSize) };
  let stopping = false;
  const listening = new WeakSet<Worker>();
  const fork = () => {
    const worker = cluster.fork(env);
    worker.once('listening', () => listening.add(worker));
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const alive = Object.keys(cluster.workers ?? {}).length;
    if (stopping) {
      if (alive === 0) process.exit(0);
      return;
    }
    if (!listening.has(worker)) {
      log.error({ pid: worker.process.pid, code }, 'a worker failed to start; stopping');
      stop('worker failed', 1);
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, 'a worker died; starting another');
    setTimeout(() => !stopping && fork(), RESTART_DELAY_MS);
  });

  const stop = (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'shutting down the workers');
    const remaining = Object.values(cluster.workers ?? {});
    if (remaining.length === 0) process.exit(exitCode);
    for (const worker of remaining) worker?.process.kill('SIGTERM');
    if (exitCode !== 0) process.exitCode = exitCode;
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  for (let i = 0; i < workers; i++) fork();
  log.info({ workers }, 'started the workers');
  if (config.metrics.port !== undefined) {
    const aggregator = new AggregatorRegistry();
    const render = async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() });
    const server = await startMetricsServer(render, config.host, config.metrics.port);
    log.info({ url: server.url }, 'metrics of all workers');
  }
}
