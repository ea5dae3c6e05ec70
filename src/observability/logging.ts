import { randomUUID } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import { pathOf } from '../common/request-meta';
import type { Config } from '../config';
import { serializeError } from '../db/driver-errors';
import type { GraphQLTrace } from './trace';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the GraphQL context factory; read by the access log. */
    graphqlTrace?: GraphQLTrace;
  }
}

// Anything that can carry a credential is replaced before it is written: under these keys, at the top of
// a log object or up to two levels down.
const REDACTED_KEYS = new Set([
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
]);
const REDACT_DEPTH = 2;
const CENSOR = '[redacted]';

/**
 * pino's own `redact` with wildcard paths cost several times more than writing the line itself, on every
 * request; this walk costs about one Set lookup per key (`npm run bench` shows the server CPU per request).
 * It copies only the objects it changes, so what the caller passed is never altered.
 */
export function redactSecrets(object: Record<string, unknown>, depth = 0): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    let replacement = value;
    if (REDACTED_KEYS.has(key)) replacement = CENSOR;
    else if (depth < REDACT_DEPTH && isPlainObject(value)) replacement = redactSecrets(value, depth + 1);
    if (replacement !== value) (copy ??= { ...object })[key] = replacement;
  }
  return copy ?? object;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Where JSON lines go. Standard output to a pipe or socket (a container runtime, a supervisor, a test
 * harness): node's own non-blocking stream, written on the main thread, once per event-loop turn with
 * every line of that turn (see pipeOutput), and queued in memory only while the reader is behind.
 * sonic-boom's asynchronous writes, kept for files and terminals, make each write a trip through libuv's
 * thread pool (the one bcrypt uses), which cost about twice as much CPU per line.
 */
function standardOutput(): DestinationStream {
  if (isPipeOrSocket(1)) return pipeOutput(process.stdout);
  // Written asynchronously: lines logged while a write is under way go out together in the next one,
  // instead of one write(2) per line on the request path. pino flushes what is left when the process exits.
  return pino.destination({ dest: 1, sync: false });
}

/**
 * Standard output's lines of the current event-loop turn, shared by every logger of the process (they
 * write to one file descriptor, in the order logged). See pipeOutput.
 */
const turn = { pending: '', scheduled: false, broken: false, installed: false };

/** Writes the lines logged so far in this turn now, instead of when the turn ends. */
function flushTurn(): void {
  turn.scheduled = false;
  const lines = turn.pending;
  turn.pending = '';
  if (!turn.broken && lines) process.stdout.write(lines);
}

/**
 * The lines logged in one event-loop turn go out together when the turn ends (setImmediate: after the I/O
 * callbacks of that turn, never on a timer), in one write(2) instead of one per line: under load a turn
 * serves several requests, and each line's own write cost ~5 µs of the ~120 µs of a `{ __typename }`. A
 * line is at most one turn late, and nothing is held while the process is idle. As pino's own destination
 * does, a reader that has gone (EPIPE) ends the log, not the server.
 */
function pipeOutput(stdout: NodeJS.WriteStream): DestinationStream {
  if (!turn.installed) {
    turn.installed = true;
    stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      turn.broken = true;
    });
    // An exit from anywhere (process.exit after a failure) still writes the turn's lines: on Linux a pipe
    // takes a write at once unless it is full.
    process.once('exit', flushTurn);
  }
  return {
    write: (line: string) => {
      if (turn.broken) return;
      turn.pending += line;
      if (!turn.scheduled) {
        turn.scheduled = true;
        setImmediate(flushTurn);
      }
    },
  };
}

function isPipeOrSocket(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

/**
 * Resolves once standard output has written what it queued (at most `timeoutMs` later), so that an exit
 * right after does not drop the last lines: node's stream, unlike sonic-boom, has no synchronous flush at exit.
 */
export function standardOutputWritten(timeoutMs = 1_000): Promise<void> {
  flushTurn();
  const stdout = process.stdout;
  if (stdout.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    stdout.once('drain', () => (clearTimeout(timer), resolve()));
  });
}

// A request id a client or proxy sends is kept when it is plain; anything else (too long, control
// characters, quotes) is replaced, so it can neither forge log lines nor bloat them.
/** The key of the request id in every line a request logs. */
const REQUEST_ID_LABEL = 'requestId';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's logger and request-id settings: pino JSON lines, or pino-pretty in development. */
export function loggingOptions(config: Pick<Config, 'logLevel' | 'logFormat'>): FastifyServerOptions {
  return {
    logger: {
      level: config.logLevel,
      formatters: { log: (object: Record<string, unknown>) => redactSecrets(object) },
      serializers: {
        req: (request: { method?: string; url?: string }) => ({ method: request.method, path: pathOf(request.url) }),
        // Instead of pino's, which writes an error's message, stack and every property: SQL and its values.
        // (Fastify's type insists on a message and a stack, which a driver error's logged form leaves out.)
        err: serializeError as never,
      },
      ...(config.logFormat === 'pretty' && {
        transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
      }),
      ...(config.logFormat === 'json' && config.logLevel !== 'silent' && { stream: standardOutput() }),
    },
    requestIdHeader: false,
    genReqId: (request) => {
      const sent = request.headers['x-request-id'];
      return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
    },
    // One line per request, written below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: REQUEST_ID_LABEL }),
  };
}

/** pino's own level number and internals for the access line (its defaults: level numbers, epoch time, `msg`). */
const INFO = pino.levels.values.info;
const { streamSym, chindingsSym } = pino.symbols;

/**
 * Returns the request id to the client, and writes the one access-log line of every request, from one
 * `onSend` hook: a callback, not an async hook (which costs a promise and a microtask turn per request), and
 * no `onResponse` hook, whose runner Fastify would otherwise start for every response. So the line is written
 * as the response is handed to the socket, and `durationMs` runs until then (the write itself, a few µs for
 * a GraphQL answer, is left out); an upgrade to the live channel is not a response and writes no line.
 *
 * The line is the one `request.log.info({ method, path, ... }, 'request')` writes, byte for byte (key
 * order, escaping, pino's level and time), built here as one string and handed to the logger's own stream:
 * through pino's generic serialiser and the redaction walk over keys that hold no secret it cost ~4 µs
 * more of CPU per request, of the ~110 µs of a `{ __typename }` (interleaved bursts). Its fields are a fixed
 * set: the method and path (without its query string), status, duration, and the operation's name, root
 * field and outcome. Whatever else is logged still goes through pino and its redaction. The stream is read
 * at each request, as pino itself does, so a test that swaps it (tests/helpers/log-capture.ts) sees these
 * lines too; so is the level.
 */
export function registerAccessLog(fastify: FastifyInstance): void {
  const log = fastify.log as FastifyInstance['log'] & { levelVal: number };
  const internals = log as unknown as Record<symbol, unknown>;
  fastify.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (log.levelVal <= INFO) {
      const trace = request.graphqlTrace;
      const path = pathOf(request.url);
      let line =
        `{"level":${INFO},"time":${Date.now()}${internals[chindingsSym] as string},"${REQUEST_ID_LABEL}":${JSON.stringify(request.id)},` +
        `"method":${JSON.stringify(request.method)}${path === undefined ? '' : `,"path":${JSON.stringify(path)}`},` +
        `"status":${reply.statusCode},"durationMs":${Math.round(reply.elapsedTime * 10) / 10}`;
      if (trace) {
        const operation = trace.operationName ?? trace.field;
        if (operation !== undefined) line += `,"operation":${JSON.stringify(operation)}`;
        if (trace.field !== undefined) line += `,"field":${JSON.stringify(trace.field)}`;
        if (trace.outcome !== undefined) line += `,"outcome":${JSON.stringify(trace.outcome)}`;
      }
      (internals[streamSym] as DestinationStream).write(`${line},"msg":"request"}\n`);
    }
    done(null, payload);
  });
}
