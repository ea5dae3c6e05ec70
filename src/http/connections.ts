import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from '../config';
import type { Metrics } from '../observability/metrics';
import { clientErrorHandler } from './errors';

// Every connection is bounded in time and in number, so slow or idle clients cannot hold the process:
// Fastify's defaults never time out a slow body and keep a half-sent request for 60-90 s.

/** How often node checks the request and headers deadlines; its default, 30 s, would stretch a 30-s deadline to 60 s. */
const DEADLINE_CHECK_MS = 1_000;
/** The "limit reached" warning is repeated at most this often while connections are being refused. */
const DROP_WARNING_INTERVAL_MS = 60_000;

/** Fastify's constructor options for the listener's timeouts. */
export function connectionOptions(
  http: Config['http'],
): Pick<FastifyServerOptions, 'requestTimeout' | 'keepAliveTimeout' | 'clientErrorHandler'> & { http: ServerOptions } {
  const requestTimeout = http.requestTimeoutSeconds * 1000;
  return {
    // Fastify sets these two on node's server after creating it, over what `http` says.
    requestTimeout,
    keepAliveTimeout: http.keepAliveTimeoutSeconds * 1000,
    http: { requestTimeout, headersTimeout: http.headersTimeoutSeconds * 1000, connectionsCheckingInterval: DEADLINE_CHECK_MS },
    clientErrorHandler,
  };
}

/**
 * Past MAX_CONNECTIONS node closes each new connection as soon as it is accepted, before reading a byte
 * (the client sees a reset, which proxies retry elsewhere), so a flood costs no parser or request state.
 */
export function limitConnections(fastify: FastifyInstance, maxConnections: number, metrics: Metrics): void {
  const server = fastify.server;
  server.maxConnections = maxConnections;
  metrics.watchConnections(() => new Promise((resolve) => server.getConnections((_error, count) => resolve(count ?? 0))));
  let warnedAt = -Infinity;
  server.on('drop', () => {
    metrics.connectionsDropped.inc();
    if (Date.now() - warnedAt < DROP_WARNING_INTERVAL_MS) return;
    warnedAt = Date.now();
    fastify.log.warn({ maxConnections }, 'connection limit reached: new connections are closed (MAX_CONNECTIONS)');
  });
}

/**
 * Stops taking requests and lets the ones in flight finish: their responses say `Connection: close`, so
 * keep-alive clients do not hold the server open; whatever is still open after the grace period is cut.
 * A connection with no request in flight (idle between requests, or not yet past its request's headers)
 * has nothing to finish and is closed at once: node's server.close() closes only the first kind, so a
 * client that has connected and not yet sent a request would hold the shutdown for the whole grace period.
 */
export function gracefulShutdown(fastify: FastifyInstance, graceSeconds: number): () => Promise<void> {
  let closing = false;
  /** Requests being handled on each open connection (more than one when a client pipelines). */
  const inFlight = new Map<Socket, number>();
  fastify.server.on('connection', (socket: Socket) => {
    if (closing) return void socket.destroy();
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  fastify.server.on('request', ({ socket }: IncomingMessage, response: ServerResponse) => {
    if (!inFlight.has(socket)) return;
    inFlight.set(socket, inFlight.get(socket)! + 1);
    response.once('close', () => {
      if (!inFlight.has(socket)) return;
      const left = inFlight.get(socket)! - 1;
      inFlight.set(socket, left);
      // A response begun before the shutdown did not say `Connection: close`: end its connection after it.
      if (closing && left === 0 && !socket.writableEnded) socket.end(() => socket.destroy());
    });
  });
  // A callback hook: an async one costs a promise and a microtask turn on every request.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  return async () => {
    closing = true;
    for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy();
    const force = setTimeout(() => fastify.server.closeAllConnections(), graceSeconds * 1000);
    try {
      await fastify.close();
    } finally {
      clearTimeout(force);
    }
  };
}
