import type { ServerOptions, ServerResponse } from 'node:http';
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
 *
 * Nothing is done per request until the shutdown: which connections have a response under way is read
 * from node's server then, as node's own closeIdleConnections() does (the socket's current response).
 */
export function gracefulShutdown(fastify: FastifyInstance, graceSeconds: number): () => Promise<void> {
  let closing = false;
  const sockets = new Set<HttpSocket>();
  fastify.server.on('connection', (socket: HttpSocket) => {
    if (closing) return void socket.destroy();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return async () => {
    closing = true;
    for (const socket of sockets) {
      if (socket._httpMessage) endAfterResponse(socket, socket._httpMessage);
      else socket.destroy();
    }
    const force = setTimeout(() => fastify.server.closeAllConnections(), graceSeconds * 1000);
    try {
      await fastify.close();
    } finally {
      clearTimeout(force);
    }
  };
}

/** A server-side socket as node's HTTP server keeps it: the response it is writing, if any. */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * Ends a connection once its response is done. A response not begun yet says `Connection: close` (node then
 * ends the connection after it); one begun before the shutdown did not, so its connection is ended here,
 * unless a pipelined request's response has taken its place, which gets the same treatment.
 */
function endAfterResponse(socket: HttpSocket, response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('connection', 'close');
  response.once('close', () => {
    if (socket.destroyed || socket.writableEnded) return;
    if (socket._httpMessage) endAfterResponse(socket, socket._httpMessage);
    else socket.end(() => socket.destroy());
  });
}
