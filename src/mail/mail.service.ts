import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors/errors';
import type { MailTemplateName, MailTemplates } from './templates';

// STAND-IN (branch issue12-recovery) for the mail interface of /work/wt/MAIL.md, dropped when the mail
// branch merges: it keeps what was queued in memory (`queued`, for tests) and sends nothing. It records a
// message when it is queued; the flows queue their mail as the last step of their transaction, so a
// message recorded here is one the real outbox would have committed.

export interface QueuedMail<T extends MailTemplateName> {
  to: string;
  template: T;
  data: MailTemplates[T];
  /** The account it concerns (for the EMAIL_DELIVERY_FAILED event), when there is one. */
  userId?: string;
  /** Not worth sending after this (a link that has expired): dropped as failed instead. */
  sendBefore?: Date;
}

export class MailService {
  /** Stand-in only: every message queued, oldest first. */
  readonly queued: QueuedMail<MailTemplateName>[] = [];
  /** Stand-in only: how often wake() was called. */
  wakes = 0;

  constructor(private readonly isEnabled: boolean) {}

  /** False in production without SMTP_URL: mail is disabled. */
  get enabled(): boolean {
    return this.isEnabled;
  }

  /** Throws the clear client error (MAIL_UNAVAILABLE) when disabled. */
  assertEnabled(): void {
    if (!this.isEnabled) throw new AppError('MAIL_UNAVAILABLE');
  }

  /** Queues a message in `em`'s unit of work, written with the caller's transaction; nothing when disabled. */
  enqueue<T extends MailTemplateName>(_em: EntityManager, mail: QueuedMail<T>): void {
    if (!this.isEnabled) return;
    this.queued.push(mail as QueuedMail<MailTemplateName>);
  }

  /** Asks this instance's dispatcher to run now; cheap, never throws. */
  wake(): void {
    this.wakes++;
  }
}
