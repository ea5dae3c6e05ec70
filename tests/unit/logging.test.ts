import { Writable } from 'node:stream';
import pino, { type LoggerOptions } from 'pino';
import { loggingOptions } from '../../src/observability/logging';

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
