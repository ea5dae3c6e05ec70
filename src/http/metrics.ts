import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Config } from '../config';
import { explainListenError } from './port';

/** GET /metrics on the main port, for a scraper that sends "Authorization: Bearer <METRICS_TOKEN>". */
export function registerMetricsRoute(fastify: FastifyInstance, registry: Registry, token: string): void {
  const expected = digest(`Bearer ${token}`);
  fastify.get('/metrics', async (request, reply) => {
    // Compared as digests: equal length, constant time, whatever was sent.
    if (!timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
      return reply.status(401).header('www-authenticate', 'Bearer').send({ status: 'unauthorized' });
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * GET /metrics on a port of its own (METRICS_PORT), which the network keeps private; nothing else is
 * served there. `render` is the registry's text, or the cluster's sum of its workers' registries.
 */
export async function startMetricsServer(
  render: () => Promise<{ contentType: string; body: string }>,
  host: string,
  port: number,
): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    render().then(
      ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) =>
    server.once('error', (error) => reject(explainListenError(error, 'METRICS_PORT', host, port))).listen(port, host, resolve),
  );
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * /metrics where configured: behind METRICS_TOKEN on the main port, and/or on METRICS_PORT. A cluster
 * worker leaves METRICS_PORT to the primary, which serves the sum of its workers' registries.
 */
export async function exposeMetrics(
  fastify: FastifyInstance,
  registry: Registry,
  config: Pick<Config, 'host' | 'metrics'>,
): Promise<MetricsServer | undefined> {
  if (config.metrics.token) registerMetricsRoute(fastify, registry, config.metrics.token);
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([registry]);
    return undefined;
  }
  if (config.metrics.port === undefined) return undefined;
  return startMetricsServer(async () => ({ contentType: registry.contentType, body: await registry.metrics() }), config.host, config.metrics.port);
}
