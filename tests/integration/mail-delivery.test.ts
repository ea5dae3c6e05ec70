import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { simpleParser } from 'mailparser';
import { createGatehouse, type Gatehouse } from '../../src/app';
import { loadConfig } from '../../src/config';
import { SecurityEvent } from '../../src/events/security-event.entity';
import { SecurityEventType } from '../../src/events/security-event-type';
import { Housekeeping } from '../../src/jobs/housekeeping';
import { OutboxMail, OutboxStatus } from '../../src/mail/outbox-mail.entity';
import { AppError } from '../../src/errors/errors';
import { captureLog } from '../helpers/log-capture';
import { startServerProcess } from '../helpers/server-process';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server';
import { createTestDatabase } from '../helpers/test-database';
import { startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// The mail path's other settings: the .eml files of development, STARTTLS required by default, the bound
// on attempts, production without SMTP, several instances sharing one outbox, and the purge.

const FAST = { MAIL_RETRY_BASE: '1s', MAIL_RETRY_MAX: '1s', MAIL_POLL_INTERVAL: '1s' };

async function queueIn(gatehouse: Gatehouse, to: string, userId?: string): Promise<string> {
  const em = gatehouse.database.orm.em.fork();
  gatehouse.services.mail.enqueue(em, { to, template: 'newSignIn', data: { at: new Date().toISOString(), userAgent: 'Firefox <script>' }, userId });
  await em.flush();
  gatehouse.services.mail.wake();
  return (await em.findOneOrFail(OutboxMail, { recipient: to })).id;
}

async function until<T>(check: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const outboxRow = (gatehouse: Gatehouse, id: string) => gatehouse.database.orm.em.fork().findOneOrFail(OutboxMail, { id });

describe('without SMTP_URL, outside production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ ...FAST, LOG_LEVEL: 'info' });
  });
  afterAll(() => server?.close());

  it('writes each message as DATA_DIR/outbox/<time>-<id>.eml (folder 0700, file 0600) and logs its name', async () => {
    const log = captureLog(server);
    const to = uniqueEmail('file');
    const id = await queueIn(server.gatehouse, to);
    const line = await until(async () => log.lines().find((entry) => entry.msg === 'mail written to a file (no SMTP_URL)'), 'the log line');
    const file = line.file as string;
    expect(file).toMatch(new RegExp(`/outbox/\\d{8}T\\d{6}Z-${id}\\.eml$`));
    expect(dirname(file)).toBe(`${server.config.dataDir}/outbox`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    const parsed = await simpleParser(readFileSync(file));
    expect(parsed.subject).toBe('New sign-in to your Gatehouse account');
    expect(parsed.messageId).toBe(`<${id}@localhost>`);
    expect(parsed.text).toContain('Device: Firefox <script>');
    expect(parsed.html).toContain('Firefox &lt;script&gt;');
    expect(await until(async () => (await outboxRow(server.gatehouse, id)).status === OutboxStatus.SENT, 'SENT')).toBe(true);
    // Neither the address nor the data is in the log.
    expect(log.text()).not.toContain(to);
  });
});

describe('an smtp:// URL without tls=off', () => {
  let smtp: TestSmtpServer;
  let server: TestServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer({ ...FAST, SMTP_URL: smtp.insecureUrl });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('requires STARTTLS: to a server that does not offer it, nothing is sent in clear, not even AUTH, and the mail waits', async () => {
    expect(server.config.mail.smtp?.tls).toBe('starttls');
    const to = uniqueEmail('cleartext');
    const id = await queueIn(server.gatehouse, to);
    const retried = await until(async () => {
      const current = await outboxRow(server.gatehouse, id);
      return current.attempts >= 2 && current;
    }, 'two attempts');
    expect(retried.status).toBe(OutboxStatus.PENDING);
    expect(retried.lastError).toMatch(/STARTTLS/);
    expect(smtp.stats).toMatchObject({ auths: 0, transactions: 0 });
    expect(smtp.stats.connections).toBeGreaterThanOrEqual(1);
  });
});

describe('MAIL_MAX_ATTEMPTS', () => {
  let smtp: TestSmtpServer;
  let server: TestServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    await smtp.down();
    server = await startTestServer({ ...FAST, SMTP_URL: smtp.url, MAIL_MAX_ATTEMPTS: '3' });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('gives a message up after that many failed attempts, with the event', async () => {
    const userId = randomUUID();
    const id = await queueIn(server.gatehouse, uniqueEmail('unreachable'), userId);
    const failed = await until(async () => {
      const current = await outboxRow(server.gatehouse, id);
      return current.status === OutboxStatus.FAILED && current;
    }, 'FAILED');
    expect(failed).toMatchObject({ attempts: 3, data: null });
    expect(failed.lastError).toMatch(/^MAX_ATTEMPTS: .*ECONNREFUSED/);
    const event = await until(
      () => server.gatehouse.database.orm.em.fork().findOne(SecurityEvent, { type: SecurityEventType.EMAIL_DELIVERY_FAILED, userId }),
      'the event',
    );
    expect(event.details).toMatchObject({ template: 'newSignIn', reason: 'MAX_ATTEMPTS', attempts: 3 });
    expect(event.severity).toBe('WARNING');
  });
});

describe('NODE_ENV=production without SMTP_URL', () => {
  it('warns at start-up that mail is disabled', async () => {
    const database = await createTestDatabase();
    const server = await startServerProcess({
      ...database.env,
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(48).toString('base64'),
      BCRYPT_COST: '10',
    });
    try {
      const warning = server
        .output()
        .split('\n')
        .find((line) => line.includes('"level":40') && line.includes('mail is disabled'));
      expect(JSON.parse(warning!).msg).toMatch(/^mail is disabled: NODE_ENV=production and no SMTP_URL/);
    } finally {
      expect(await server.stop()).toBe(0);
      await database.drop();
    }
  });

  it('is disabled: assertEnabled throws MAIL_UNAVAILABLE, and enqueue writes nothing', async () => {
    const server = await startTestServer({ NODE_ENV: 'production', BCRYPT_COST: '10' });
    try {
      const { mail } = server.gatehouse.services;
      expect(mail.enabled).toBe(false);
      let thrown: unknown;
      try {
        mail.assertEnabled();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect(thrown).toMatchObject({
        message: 'This server cannot send email right now: its operator has not configured mail.',
        extensions: { code: 'MAIL_UNAVAILABLE' },
      });
      const em = server.gatehouse.database.orm.em.fork();
      mail.enqueue(em, { to: uniqueEmail(), template: 'passwordChanged', data: { at: new Date().toISOString() } });
      await em.flush();
      expect(await em.count(OutboxMail, {})).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('housekeeping', () => {
  let server: TestServer;
  beforeAll(async () => {
    // The purge at start-up is over before the test, so what the test's purge deletes is all it finds.
    const purge = jest.spyOn(Housekeeping.prototype, 'purge');
    server = await startTestServer({ MAIL_OUTBOX_RETENTION: '1d', PURGE_INTERVAL: '24h' });
    await purge.mock.results[0]?.value;
    purge.mockRestore();
  });
  afterAll(() => server?.close());

  it('purges sent and failed mail past MAIL_OUTBOX_RETENTION, never a pending one', async () => {
    const em = server.gatehouse.database.orm.em.fork();
    const day = 86_400_000;
    const make = (status: OutboxStatus, ageMs: number) =>
      em.create(OutboxMail, {
        recipient: uniqueEmail(),
        template: 'newSignIn',
        data: null,
        status,
        createdAt: new Date(Date.now() - ageMs),
        nextAttemptAt: new Date(Date.now() + day),
      });
    make(OutboxStatus.SENT, day + 60_000);
    make(OutboxStatus.FAILED, day + 60_000);
    const oldPending = make(OutboxStatus.PENDING, 2 * day);
    const recentSent = make(OutboxStatus.SENT, day - 60_000);
    await em.flush();
    const result = await server.gatehouse.services.housekeeping.purge(server.gatehouse.database.orm.em.fork());
    expect(result.mail).toBe(2);
    const left = await server.gatehouse.database.orm.em.fork().find(OutboxMail, {});
    expect(left.map((m) => m.id).sort()).toEqual([oldPending.id, recentSent.id].sort());
  });
});

const onPostgres = process.env.DATABASE_URL ? describe : describe.skip;

onPostgres('two instances on one PostgreSQL database', () => {
  it('deliver a batch between them, each mail exactly once', async () => {
    const smtp = await startSmtpServer();
    const database = await createTestDatabase();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      JWT_SECRET: randomBytes(48).toString('base64'),
      ...database.env,
      ...FAST,
      SMTP_URL: smtp.url,
      MAIL_BATCH_SIZE: '10',
    };
    const a = await createGatehouse(loadConfig(env));
    const b = await createGatehouse(loadConfig(env));
    try {
      const count = 200;
      const recipients = Array.from({ length: count }, (_, i) => `batch-${i}-${randomBytes(3).toString('hex')}@example.com`);
      // Queued through both, in a few commits each, and both dispatchers woken.
      for (let i = 0; i < count; i += 20) {
        const gatehouse = (i / 20) % 2 === 0 ? a : b;
        const em = gatehouse.database.orm.em.fork();
        for (const to of recipients.slice(i, i + 20))
          gatehouse.services.mail.enqueue(em, { to, template: 'passwordChanged', data: { at: new Date().toISOString() } });
        await em.flush();
        a.services.mail.wake();
        b.services.mail.wake();
      }
      await smtp.waitForCount(count, { timeoutMs: 60_000 });
      await Promise.all([a.services.mailDispatcher.runOnce(), b.services.mailDispatcher.runOnce()]);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const received = smtp.mails.flatMap((mail) => mail.to);
      expect(received.length).toBe(count);
      expect(new Set(received).size).toBe(count);
      expect(new Set(smtp.mails.map((mail) => mail.messageId)).size).toBe(count);
      const statuses = await a.database.orm.em
        .fork()
        .getConnection()
        .execute<{ status: string; n: number }[]>('select status, count(*)::int as n from mail_outbox group by status');
      expect(statuses).toEqual([{ status: 'SENT', n: count }]);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
      await smtp.close();
    }
  }, 120_000);
});
