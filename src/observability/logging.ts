import { randomUUID } from 'node:crypto';
import { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from '../config';
import type { GraphQLTrace } from '../graphql/observe.plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the GraphQL context factory; read by the access log. */
    graphqlTrace?: GraphQLTrace;
  }
}

// Anything that can carry a credential, wherever it sits in a log object, is replaced before it is written.
const REDACTED_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'password_hash',
  'accessToken',
  'refreshToken',
  'token',
  'secret',
  'variables',
];
const REDACT_PATHS = [
  ...REDACTED_KEYS.filter((key) => /^\w+$/.test(key)),
  ...REDACTED_KEYS.map((key) => `*["${key}"]`),
  ...REDACTED_KEYS.map((key) => `*.*["${key}"]`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

// A request id a client or proxy sends is kept when it is plain; anything else (too long, control
// characters, quotes) is replaced, so it can neither forge log lines nor bloat them.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's logger and request-id settings: pino JSON lines, or pino-pretty in development. */
export function loggingOptions(config: Pick<Config, 'logLevel' | 'logFormat'>): FastifyServerOptions {
  return {
    logger: {
      level: config.logLevel,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        // Path only: a GET /graphql query string can carry variables.
        req: (request: { method?: string; url?: string }) => ({ method: request.method, path: request.url?.split('?')[0] }),
      },
      ...(config.logFormat === 'pretty' && {
        transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
      }),
    },
    requestIdHeader: false,
    genReqId: (request) => {
      const sent = request.headers['x-request-id'];
      return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
    },
    // One line per request, written below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
  };
}

/** Returns the request id to the client, and writes the one access-log line of every request. */
export function registerAccessLog(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const trace = request.graphqlTrace;
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        ...(trace && { operation: trace.operationName ?? trace.field, field: trace.field, outcome: trace.outcome }),
      },
      'request',
    );
  });
}
