import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import { ErrorCode } from '../errors/codes';
import { AppError } from '../errors/errors';
import type { Metrics } from '../observability/metrics';
import type { OutboxCipher } from './outbox-cipher';
import { OutboxMail } from './outbox-mail.entity';
import type { MailTemplateName, MailTemplates } from './templates';

export interface QueuedMail<T extends MailTemplateName> {
  to: string;
  template: T;
  data: MailTemplates[T];
  /** The account it concerns (for the EMAIL_DELIVERY_FAILED event), when there is one. */
  userId?: string;
  /** Not worth sending after this (a link that has expired): dropped as failed instead. */
  sendBefore?: Date;
}

/**
 * Queues mail in the transactional outbox. A message is a row written in the caller's unit of work, so it
 * exists exactly when what it announces (a token, a change) was committed; a dispatcher in some instance
 * sends it afterwards (src/jobs/mail-dispatcher.ts), retrying while the SMTP server is unavailable.
 */
export class MailService {
  private wakeHandler: (() => void) | undefined;

  constructor(
    private readonly config: Config['mail'],
    private readonly cipher: OutboxCipher,
    private readonly metrics: Metrics,
  ) {}

  /** False in production without SMTP_URL: mail is disabled. */
  get enabled(): boolean {
    return this.config.enabled;
  }

  /** Throws the clear client error (MAIL_UNAVAILABLE) when disabled. */
  assertEnabled(): void {
    if (!this.enabled) throw new AppError(ErrorCode.MAIL_UNAVAILABLE);
  }

  /**
   * Queues a message in `em`'s unit of work (em.persist, NO flush): it is written by the caller's flush or
   * transaction commit, together with the token it carries, or not at all. When mail is disabled it does
   * nothing (notices are best effort then; request mutations call assertEnabled() first).
   */
  enqueue<T extends MailTemplateName>(em: EntityManager, mail: QueuedMail<T>): void {
    if (!this.enabled) return;
    // A line break in an address would be a header injection; the callers pass validated addresses.
    if (/[\s<>,;]/.test(mail.to) || !mail.to.includes('@')) throw new Error('enqueue: the recipient must be one bare address');
    const row = new OutboxMail();
    row.recipient = mail.to;
    row.template = mail.template;
    row.data = this.cipher.seal(row.id, mail.template, mail.data);
    row.userId = mail.userId ?? null;
    row.sendBefore = mail.sendBefore ?? null;
    em.persist(row);
    this.metrics.mailQueued.inc({ template: mail.template });
  }

  /** Asks this instance's dispatcher to run now (call after the commit that queued mail); cheap, never throws. */
  wake(): void {
    try {
      this.wakeHandler?.();
    } catch {
      // The poll interval is the backstop.
    }
  }

  /** The dispatcher's hook: `wake()` calls it. */
  onWake(handler: (() => void) | undefined): void {
    this.wakeHandler = handler;
  }
}
