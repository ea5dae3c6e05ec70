import { Writable } from 'node:stream';
import pino, { type LoggerOptions } from 'pino';
import Fastify from 'fastify';
import { loggingOptions, registerAccessLog } from '../../src/observability/logging';

// The redaction rules themselves, on a real pino logger: whatever object a future log call passes,
// credentials at the top level or one level down come out censored.

function capture() {
  const chunks: string[] = [];
  const options = loggingOptions({ logLevel: 'info', logFormat: 'json' }).logger as LoggerOptions;
  const stream = new Writable({ write: (chunk, _encoding, done) => (chunks.push(String(chunk)), done()) });
  return { log: pino(options, stream), text: () => chunks.join('') };
}

it('censors credentials wherever they sit', () => {
  const { log, text } = capture();
  log.info({
    req: { headers: { authorization: 'Bearer SECRET-1', cookie: 'gatehouse_refresh=SECRET-2' } },
    res: { headers: { 'set-cookie': 'gatehouse_refresh=SECRET-3' } },
    input: { email: 'a@example.com', password: 'SECRET-4', newPassword: 'SECRET-5', currentPassword: 'SECRET-6' },
    payload: { accessToken: 'SECRET-7', refreshToken: 'SECRET-8' },
    user: { passwordHash: 'SECRET-9', password_hash: 'SECRET-10' },
    variables: { anything: 'SECRET-11' },
    token: 'SECRET-12',
    webhook: { secret: 'SECRET-13' },
  });
  expect(text()).not.toMatch(/SECRET-\d+/);
  expect(text()).toContain('a@example.com');
  expect(text()).toContain('[redacted]');
});

// The access line is built as one string (registerAccessLog) instead of through pino: it must be the line
// pino itself would write for the same fields, byte for byte but for the time.
it('writes the access line exactly as pino would, escaping included', async () => {
  const fastify = Fastify(loggingOptions({ logLevel: 'info', logFormat: 'json' }));
  const written: string[] = [];
  (fastify.log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = { write: (line: string) => void written.push(line) };
  registerAccessLog(fastify);
  const trace = { operationName: 'We"ird\u2028Name\\', field: 'me', outcome: 'UNAUTHENTICATED:TOKEN_MISSING' };
  fastify.get('/graphql', (request, reply) => {
    request.graphqlTrace = trace;
    return reply.status(201).send('{}');
  });
  fastify.get('/healthz', () => ({ ok: true }));
  await fastify.inject({ method: 'GET', url: '/graphql?query=%7Bme%7D', headers: { 'x-request-id': 'trace-1' } });
  await fastify.inject({ method: 'GET', url: '/healthz' });
  const [withTrace, plain] = written.map((line) => JSON.parse(line) as Record<string, unknown>);
  const reference = (line: Record<string, unknown>, fields: Record<string, unknown>) => {
    const before = written.length;
    fastify.log.child({ requestId: line.requestId }).info(fields, 'request');
    return written.slice(before).join('');
  };
  const withoutTime = (line: string) => line.replace(/"time":\d+/, '"time":0');
  expect(withoutTime(written[0])).toBe(
    withoutTime(
      reference(withTrace, {
        method: 'GET',
        path: '/graphql',
        status: 201,
        durationMs: withTrace.durationMs,
        operation: trace.operationName,
        field: 'me',
        outcome: trace.outcome,
      }),
    ),
  );
  expect(withoutTime(written[1])).toBe(withoutTime(reference(plain, { method: 'GET', path: '/healthz', status: 200, durationMs: plain.durationMs })));
  expect(withTrace.requestId).toBe('trace-1');
  // At a quieter level nothing is written.
  fastify.log.level = 'warn';
  const before = written.length;
  await fastify.inject({ method: 'GET', url: '/healthz' });
  expect(written.length).toBe(before);
  await fastify.close();
});
