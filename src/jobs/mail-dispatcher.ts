import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config';
import { loggableError } from '../db/driver-errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import type { MailService } from '../mail/mail.service';
import type { OutboxCipher } from '../mail/outbox-cipher';
import { isMailTemplateName, renderMail, type MailContext } from '../mail/templates';
import type { MailTransport, SendOutcome } from '../mail/transport';
import type { Metrics } from '../observability/metrics';
import type { StopJob } from './job';

/** Why a message was given up: the metric's and the event's `reason`. */
export type MailFailure = 'REJECTED' | 'MAX_ATTEMPTS' | 'EXPIRED' | 'UNDECRYPTABLE' | 'INVALID';

interface ClaimedRow {
  id: string;
  recipient: string;
  template: string;
  data: string | null;
  attempts: number;
  user_id: string | null;
  /** As the driver returns it (MikroORM keeps timestamps as text in raw results). */
  send_before: Date | string | null;
}

// Claims due messages for this instance, in one statement (its own short transaction): rows another
// instance has locked are skipped, not waited for, and a claim lasts `lease` seconds, so a message is
// sent by one instance at a time; once the lease has passed (the claimer died) any instance may claim it
// again. The attempt is counted here, before sending, so a message that crashes its sender still runs out.
const CLAIM_SQL = `
update mail_outbox set claimed_until = now() + make_interval(secs => ?), attempts = attempts + 1
where id in (
  select id from mail_outbox
  where status = 'PENDING' and next_attempt_at <= now() and (claimed_until is null or claimed_until < now())
  order by next_attempt_at
  limit ?
  for update skip locked)
returning id, recipient, template, data, attempts, user_id, send_before`;

// Every mark is fenced by the attempt it belongs to: a sender whose lease ran out (and whose message another
// instance claimed again) changes nothing.
const FENCE = `where id = ? and attempts = ? and status = 'PENDING'`;
const SENT_SQL = `update mail_outbox set status = 'SENT', sent_at = now(), data = null, claimed_until = null, last_error = null ${FENCE}`;
const FAILED_SQL = `update mail_outbox set status = 'FAILED', failed_at = now(), data = null, claimed_until = null, last_error = ? ${FENCE}`;
const RETRY_SQL = `update mail_outbox set next_attempt_at = now() + make_interval(secs => ?), claimed_until = null, last_error = ? ${FENCE}`;
// Not attempted after all (the lease was nearly over, or the server is stopping): as it was before the claim.
const RELEASE_SQL = `update mail_outbox set claimed_until = null, attempts = attempts - 1 ${FENCE}`;
const STATS_SQL = `select count(*)::int as pending, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest
from mail_outbox where status = 'PENDING'`;

/**
 * Delivers the outbox. Every instance runs one: it runs when its MailService is woken (after a commit that
 * queued mail) and every MAIL_POLL_INTERVAL (other instances' mail, retries, a crashed sender's claims).
 *
 * Each run claims a batch (CLAIM_SQL), then sends OUTSIDE any transaction: no pool connection and no row
 * lock is held while the SMTP server takes its time. Then each message is marked SENT, FAILED (a 5xx
 * answer, MAX_ATTEMPTS reached, or past its send_before), or rescheduled with exponential backoff and
 * jitter. A failed message's data is erased, an EMAIL_DELIVERY_FAILED event recorded and counted.
 *
 * The guarantee is at-least-once, with one narrow window: if the process dies after the SMTP server
 * accepted a message and before the SENT mark is written, the message is sent again once its lease has
 * passed (MAIL_LEASE). Its Message-ID is derived from the row id, so both copies carry the same one. A
 * send is never started with less than a fifth of the lease left, so a slow batch does not run into
 * another instance's claim of the same row.
 */
export class MailDispatcher {
  private readonly context: MailContext;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  // Of the current database outage: one warning when runs start failing, one line when they work again.
  private failing = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly mail: MailService,
    private readonly transport: MailTransport,
    private readonly cipher: OutboxCipher,
    private readonly events: SecurityEventService,
    private readonly metrics: Metrics,
    private readonly config: Config['mail'],
    private readonly log: FastifyBaseLogger,
  ) {
    this.context = { service: serviceName(config.from) };
    metrics.watchMailOutbox(() => this.outboxStats());
  }

  /** A job (see job.ts): runs now, on every wake(), and every poll interval; the function returned stops it. */
  start(): StopJob {
    this.stopped = false;
    const timer = setInterval(() => this.kick(), this.config.pollIntervalSeconds * 1000);
    timer.unref();
    this.mail.onWake(() => this.kick());
    this.kick();
    return async () => {
      this.stopped = true;
      clearInterval(timer);
      this.mail.onWake(undefined);
      await this.running;
      this.transport.close();
    };
  }

  /** Runs now, or right after the run in progress (whose claim may have missed what was just committed). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Runs until nothing is due; resolves once idle (for tests and scripts). Never rejects. */
  async runOnce(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  async outboxStats(): Promise<{ pending: number; oldestPendingSeconds: number }> {
    const [row] = await this.orm.em.fork().getConnection().execute<{ pending: number; oldest: number }[]>(STATS_SQL);
    return { pending: row?.pending ?? 0, oldestPendingSeconds: row?.oldest ?? 0 };
  }

  private async drain(): Promise<void> {
    try {
      let full: boolean;
      do {
        this.again = false;
        const batch = await this.claim();
        await this.sendAll(batch.rows, batch.sendBy);
        full = batch.rows.length === this.config.batchSize;
        if (this.failing) this.log.info('mail dispatcher: the database answers again');
        this.failing = false;
      } while ((full || this.again) && !this.stopped);
    } catch (error) {
      // The database is unavailable, most likely: the next tick tries again, and claimed rows come back after their lease.
      if (!this.failing) this.log.warn({ err: loggableError(error) }, 'mail dispatcher cannot reach the outbox; retrying every poll interval');
      this.failing = true;
    }
  }

  private async claim(): Promise<{ rows: ClaimedRow[]; sendBy: number }> {
    const leaseMs = this.config.leaseSeconds * 1000;
    // Measured on this clock from before the claim: the lease, as the database counts it, ends later still.
    const sendBy = Date.now() + leaseMs - leaseMs / 5;
    const rows = await this.orm.em.fork().getConnection().execute<ClaimedRow[]>(CLAIM_SQL, [this.config.leaseSeconds, this.config.batchSize]);
    return { rows, sendBy };
  }

  private async sendAll(rows: ClaimedRow[], sendBy: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < rows.length) await this.deliver(rows[next++], sendBy);
    };
    await Promise.all(Array.from({ length: Math.min(this.config.concurrency, rows.length) }, worker));
  }

  private async deliver(row: ClaimedRow, sendBy: number): Promise<void> {
    const template = isMailTemplateName(row.template) ? row.template : undefined;
    try {
      if (this.stopped || Date.now() > sendBy) {
        await this.mark(RELEASE_SQL, [], row);
        return;
      }
      if (row.send_before !== null && new Date(row.send_before).getTime() <= Date.now())
        return await this.fail(row, 'EXPIRED', 'not sent: its link had expired');
      if (row.attempts > this.config.maxAttempts) return await this.fail(row, 'MAX_ATTEMPTS', 'not sent: the last attempt was interrupted');
      const data = row.data === null ? undefined : this.cipher.open(row.id, row.template, row.data);
      if (data === undefined) return await this.fail(row, 'UNDECRYPTABLE', 'its data cannot be decrypted (JWT_SECRET changed since it was queued?)');
      if (!template) return await this.fail(row, 'INVALID', `unknown template ${row.template.slice(0, 40)}`);
      let rendered;
      try {
        rendered = renderMail(template, data as never, this.context);
      } catch (error) {
        return await this.fail(row, 'INVALID', `cannot be rendered: ${(error as Error).message}`);
      }
      const outcome = await this.transport.send({ id: row.id, to: row.recipient, template: row.template, ...rendered });
      await this.settle(row, outcome);
    } catch (error) {
      // Marking failed (the database went away): the lease runs out and the message is claimed again.
      this.log.warn({ err: loggableError(error), mail: { id: row.id, template: row.template } }, 'mail outbox: could not record a delivery attempt');
    }
  }

  private async settle(row: ClaimedRow, outcome: SendOutcome): Promise<void> {
    const template = row.template;
    if (outcome.ok) {
      await this.mark(SENT_SQL, [], row);
      this.metrics.mailSent.inc({ template });
      this.log.debug({ mail: { id: row.id, template, attempts: row.attempts } }, 'mail sent');
      return;
    }
    if (outcome.permanent) return this.fail(row, 'REJECTED', outcome.error, outcome.smtpCode);
    if (row.attempts >= this.config.maxAttempts) return this.fail(row, 'MAX_ATTEMPTS', outcome.error, outcome.smtpCode);
    const delay = backoffSeconds(row.attempts, this.config.retryBaseSeconds, this.config.retryMaxSeconds);
    await this.mark(RETRY_SQL, [delay, outcome.error], row);
    this.metrics.mailRetries.inc({ template });
    this.log.info(
      { mail: { id: row.id, template, attempts: row.attempts, retryInSeconds: Math.round(delay), error: outcome.error } },
      'mail not sent; will retry',
    );
  }

  private async fail(row: ClaimedRow, reason: MailFailure, error: string, smtpCode?: number): Promise<void> {
    const marked = await this.mark(FAILED_SQL, [`${reason}: ${error}`], row);
    if (!marked) return;
    const template = isMailTemplateName(row.template) ? row.template : 'unknown';
    this.metrics.mailFailed.inc({ template, reason });
    this.log.warn({ mail: { id: row.id, template, attempts: row.attempts, reason, error } }, 'mail given up');
    // The template and why, never the address or the data (a link's token): the account's owner sees this event.
    await this.events.record({
      type: SecurityEventType.EMAIL_DELIVERY_FAILED,
      userId: row.user_id,
      details: { template, reason, attempts: row.attempts, ...(smtpCode !== undefined && { smtpCode }), mailId: row.id },
    });
  }

  /** Runs a fenced mark; true when this attempt still owned the row. */
  private async mark(sql: string, params: unknown[], row: ClaimedRow): Promise<boolean> {
    const { affectedRows } = await this.orm.em
      .fork()
      .getConnection()
      .execute<{ affectedRows: number }>(sql, [...params, row.id, row.attempts], 'run');
    return affectedRows === 1;
  }
}

/** base · 2^(attempt-1), at most `max`, then a random part of it taken off (up to a half) so retries spread out. */
export function backoffSeconds(attempt: number, base: number, max: number, random = Math.random()): number {
  const full = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return full * (1 - random / 2);
}

/** "Acme" of `Acme <no-reply@acme.example>`; the domain of a bare address. */
export function serviceName(from: string): string {
  const name = /^\s*"?([^"<]*?)"?\s*<[^<>]+>\s*$/.exec(from)?.[1]?.trim();
  if (name) return name;
  const address = /<([^<>]+)>/.exec(from)?.[1] ?? from;
  return address.slice(address.lastIndexOf('@') + 1) || 'Gatehouse';
}
