import { randomBytes, randomUUID } from 'node:crypto';
import { createGatehouse, type Gatehouse } from '../../src/app';
import { loadConfig } from '../../src/config';
import { SecurityEvent } from '../../src/events/security-event.entity';
import { SecurityEventType } from '../../src/events/security-event-type';
import type { QueuedMail } from '../../src/mail/mail.service';
import { OutboxMail, OutboxStatus } from '../../src/mail/outbox-mail.entity';
import type { MailTemplateName } from '../../src/mail/templates';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server';
import { createTestDatabase } from '../helpers/test-database';
import { startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// The mail outbox end to end: a message queued in a unit of work, delivered by the dispatcher over real SMTP
// (the in-process smtp-server of tests/helpers/smtp-server.ts), retried, given up, and never sent from a
// transaction that rolled back. Mail is queued here through MailService itself, as the flows do.

const FAST = { MAIL_RETRY_BASE: '1s', MAIL_RETRY_MAX: '1s', MAIL_POLL_INTERVAL: '1s', MAIL_FROM: 'Acme Accounts <no-reply@acme.example>' };

/** Queues one mail in its own unit of work, commits it, and wakes the dispatcher, as a mutation does. */
async function queue<T extends MailTemplateName>(server: TestServer | Gatehouse, mail: QueuedMail<T>): Promise<OutboxMail> {
  const { database, services } = 'gatehouse' in server ? server.gatehouse : server;
  const em = database.orm.em.fork();
  services.mail.enqueue(em, mail);
  await em.flush();
  services.mail.wake();
  return em.findOneOrFail(OutboxMail, { recipient: mail.to });
}

const row = (server: TestServer | Gatehouse, id: string) =>
  ('gatehouse' in server ? server.gatehouse : server).database.orm.em.fork().findOneOrFail(OutboxMail, { id });

/** Polls (every 50 ms, at most `timeoutMs`) until `check` returns something truthy. */
async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The row once the dispatcher has marked it FAILED. */
const failedRow = (server: TestServer, id: string) =>
  until(async () => {
    const current = await row(server, id);
    return current.status === OutboxStatus.FAILED && current;
  }, 'the FAILED mark');

/** The EMAIL_DELIVERY_FAILED event recorded for the user, once it is there. */
const deliveryFailedEvent = (server: TestServer, userId: string) =>
  until(
    () =>
      server.gatehouse.database.orm.em
        .fork()
        .findOne(SecurityEvent, { type: SecurityEventType.EMAIL_DELIVERY_FAILED, userId })
        .then((found) => found ?? undefined),
    'the event',
  );

const link = () => `https://app.example/reset-password#token=${randomUUID()}`;

describe('the outbox over SMTP', () => {
  let smtp: TestSmtpServer;
  let server: TestServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer({ ...FAST, SMTP_URL: smtp.url, METRICS_PORT: '0' });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });
  afterEach(() => {
    smtp.answer451(false);
    smtp.reject550(false);
  });

  it('delivers a queued message: subject, text, HTML, From, a Message-ID from its row, and erases its data', async () => {
    const to = uniqueEmail('verify');
    const url = `${link()}&x=<b>`;
    const queued = await queue(server, { to, template: 'verifyEmail', data: { link: url, validMinutes: 1440 } });
    const mail = await smtp.nextMail(to);
    expect(mail.subject).toBe('Confirm your email address for Acme Accounts');
    expect(mail.text).toContain(url);
    expect(mail.text).toContain('24 hours');
    // The link is escaped in HTML, as an attribute and as text.
    expect(mail.html).toContain(`href="${url.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}"`);
    expect(mail.html).not.toContain('<b>');
    expect(mail.messageId).toBe(`<${queued.id}@acme.example>`);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.raw).toMatch(/^From: Acme Accounts <no-reply@acme\.example>$/m);
    expect(mail.user).toBe(smtp.user);
    const sent = await until(async () => {
      const current = await row(server, queued.id);
      return current.status === OutboxStatus.SENT && current;
    }, 'the SENT mark');
    expect(sent).toMatchObject({ data: null, attempts: 1, lastError: null, claimedUntil: null });
    expect(sent.sentAt).toBeInstanceOf(Date);
  });

  it('stores the data encrypted: the link token is nowhere in the table', async () => {
    await smtp.down();
    try {
      const to = uniqueEmail('sealed');
      const url = link();
      const queued = await queue(server, { to, template: 'resetPassword', data: { link: url, validMinutes: 30 } });
      const [raw] = await server.gatehouse.database.orm.em
        .fork()
        .getConnection()
        .execute<{ data: string; everything: string }[]>(`select data, row_to_json(m)::text as everything from mail_outbox m where id = ?`, [
          queued.id,
        ]);
      expect(raw.data).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
      expect(raw.everything).not.toContain(url.split('=')[1]);
      await smtp.up();
      expect((await smtp.nextMail(to)).text).toContain(url);
    } finally {
      await smtp.up();
    }
  });

  it('sends nothing when the transaction that queued the mail rolls back', async () => {
    const to = uniqueEmail('rolled-back');
    const em = server.gatehouse.database.orm.em.fork();
    await expect(
      em.transactional(async (tx) => {
        server.gatehouse.services.mail.enqueue(tx, { to, template: 'passwordChanged', data: { at: new Date().toISOString() } });
        await tx.flush();
        throw new Error('the mutation failed after queueing');
      }),
    ).rejects.toThrow('the mutation failed');
    server.gatehouse.services.mail.wake();
    // A committed message queued after it is delivered: the dispatcher has run past the rolled-back one.
    const witness = uniqueEmail('witness');
    await queue(server, { to: witness, template: 'passwordChanged', data: { at: new Date().toISOString() } });
    await smtp.nextMail(witness);
    await server.gatehouse.services.mailDispatcher.runOnce();
    expect(smtp.mailsTo(to)).toEqual([]);
    expect(await server.gatehouse.database.orm.em.fork().count(OutboxMail, { recipient: to })).toBe(0);
  });

  it('a 550 fails the message at once: no retry, an EMAIL_DELIVERY_FAILED event for the account, a metric', async () => {
    smtp.reject550(true);
    const to = uniqueEmail('rejected');
    const userId = randomUUID();
    const queued = await queue(server, { to, template: 'passwordChanged', data: { at: new Date().toISOString(), ip: '203.0.113.9' }, userId });
    const failed = await failedRow(server, queued.id);
    expect(failed).toMatchObject({ attempts: 1, data: null });
    expect(failed.lastError).toMatch(/^REJECTED: 550 /);
    expect(failed.lastError).not.toContain(smtp.pass);
    const event = await deliveryFailedEvent(server, userId);
    expect(event.details).toEqual({ template: 'passwordChanged', reason: 'REJECTED', attempts: 1, smtpCode: 550, mailId: queued.id });
    expect(JSON.stringify(event.details)).not.toContain(to);
    const metrics = await (await fetch(server.gatehouse.metricsUrl!)).text();
    expect(metrics).toMatch(/^gatehouse_mail_failed_total\{template="passwordChanged",reason="REJECTED"\} 1$/m);
    expect(metrics).toMatch(/^gatehouse_mail_sent_total\{template="verifyEmail"\} 1$/m);
    expect(metrics).toMatch(/^gatehouse_mail_outbox_oldest_pending_age_seconds \d/m);
    expect(smtp.mailsTo(to)).toEqual([]);
  });

  it('drops a message past its sendBefore as failed, unsent', async () => {
    const to = uniqueEmail('expired');
    const userId = randomUUID();
    const queued = await queue(server, {
      to,
      template: 'resetPassword',
      data: { link: link(), validMinutes: 30 },
      userId,
      sendBefore: new Date(Date.now() - 1000),
    });
    const failed = await failedRow(server, queued.id);
    expect(failed.lastError).toMatch(/^EXPIRED: /);
    expect(failed.data).toBeNull();
    const event = await deliveryFailedEvent(server, userId);
    expect(event.details).toMatchObject({ template: 'resetPassword', reason: 'EXPIRED' });
    expect(smtp.mailsTo(to)).toEqual([]);
  });

  it('fails a message whose data cannot be decrypted (another JWT_SECRET, or tampered), without sending it', async () => {
    await smtp.down();
    const to = uniqueEmail('tampered');
    try {
      const queued = await queue(server, { to, template: 'emailChanged', data: { newEmailMasked: 'j***e@example.com' } });
      // The sealed data of another row does not open here: it is bound to its row.
      const other = await queue(server, { to: uniqueEmail('other'), template: 'emailChanged', data: { newEmailMasked: 'x***y@example.com' } });
      await server.gatehouse.database.orm.em
        .fork()
        .getConnection()
        .execute('update mail_outbox set data = ?, next_attempt_at = now() where id = ?', [other.data, queued.id]);
      await smtp.up();
      const failed = await failedRow(server, queued.id);
      expect(failed.lastError).toMatch(/^UNDECRYPTABLE: /);
      await server.gatehouse.services.mailDispatcher.runOnce();
      expect(smtp.mailsTo(to)).toEqual([]);
    } finally {
      await smtp.up();
    }
  });
});

describe('an SMTP outage, then 451s, across a restart of Gatehouse', () => {
  it('delivers the mail once the server is back, exactly once, with the attempts backing off', async () => {
    const smtp = await startSmtpServer();
    const database = await createTestDatabase();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      JWT_SECRET: randomBytes(48).toString('base64'),
      ...database.env,
      ...FAST,
      MAIL_RETRY_MAX: '4s',
      SMTP_URL: smtp.url,
    };
    // One database, two Gatehouses in turn: the first is closed while the mail is still pending.
    let gatehouse: Gatehouse | undefined = await createGatehouse(loadConfig(env));
    const timeline: { at: number; attempts: number; error: string | null }[] = [];
    const started = Date.now();
    try {
      await smtp.down();
      const to = uniqueEmail('outage');
      const queued = await queue(gatehouse, { to, template: 'passwordReset', data: { at: new Date().toISOString() } });
      const watch = async () => {
        const current = await row(gatehouse!, queued.id);
        const last = timeline.at(-1);
        if (last?.attempts !== current.attempts || last?.error !== current.lastError) {
          timeline.push({ at: Date.now() - started, attempts: current.attempts, error: current.lastError });
        }
        return current;
      };
      // Refused connections: attempts rescheduled.
      await until(async () => {
        const current = await watch();
        return current.attempts >= 2 && current.lastError !== null && current;
      }, 'two refused attempts');
      expect((await watch()).lastError).toMatch(/ECONNREFUSED/);

      // Gatehouse restarts on the same database while the mail is pending.
      await gatehouse.close();
      gatehouse = undefined;
      gatehouse = await createGatehouse(loadConfig(env));

      // The SMTP server is back, but answers 451: more attempts, each retried.
      await smtp.up();
      smtp.answer451(true);
      const before = (await watch()).attempts;
      // An attempt is counted when it is claimed, before it has an answer: only a row no attempt holds
      // (claimedUntil null) says its attempts have all been answered, so that the next one, below, delivers.
      await until(async () => {
        const current = await watch();
        return current.attempts >= before + 2 && current.claimedUntil === null && current.lastError?.startsWith('451') && current;
      }, 'two 451 attempts');
      expect(smtp.mailsTo(to)).toEqual([]);

      smtp.answer451(false);
      const mail = await smtp.nextMail(to, { timeoutMs: 20_000 });
      expect(mail.subject).toBe('Your Acme Accounts password was reset');
      const sent = await until(async () => {
        const current = await watch();
        return current.status === OutboxStatus.SENT && current;
      }, 'the SENT mark');
      // Exactly once: another run and more than a poll interval later, nothing more has arrived.
      await gatehouse.services.mailDispatcher.runOnce();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(smtp.mailsTo(to)).toEqual([]);
      expect(smtp.stats.transactions).toBe(1);
      const attempts = timeline.filter((t, i) => i === 0 || t.attempts !== timeline[i - 1].attempts);
      if (process.env.MAIL_REPORT) {
        console.log(
          `retry timeline (ms since queued, attempt, last error):\n${timeline.map((t) => `${t.at}\t${t.attempts}\t${t.error ?? ''}`).join('\n')}`,
        );
      }
      // Every attempt counted: at least one refused before the restart (an attempt in flight when the first
      // Gatehouse closed is released uncounted, so `before` may be 1), the two 451s and the delivery after it.
      expect(before).toBeGreaterThanOrEqual(1);
      expect(sent.attempts).toBeGreaterThanOrEqual(before + 3);
      // Backed off (1 s doubling to the 4 s cap, less jitter): not a hot loop over some 10 s of outage.
      expect(attempts.length).toBeLessThanOrEqual(15);
    } finally {
      await gatehouse?.close();
      await database.drop();
      await smtp.close();
    }
  }, 90_000);
});
