import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export enum OutboxStatus {
  PENDING = 'PENDING',
  SENT = 'SENT',
  FAILED = 'FAILED',
}

/**
 * One message of the transactional outbox: written in the same transaction as whatever it announces (a
 * token, a change), delivered afterwards by a dispatcher in any instance (src/jobs/mail-dispatcher.ts).
 *
 * `data` is the template's data sealed by OutboxCipher (it may hold a one-time link token), and null once
 * the message is SENT or FAILED. `lastError` is the last failure as an SMTP code and reply text, or a
 * short reason of ours: never a credential. `userId` is the account it concerns, when there is one; no
 * foreign key, so an outbox row never holds up, or goes with, an account's deletion.
 */
@Entity({ tableName: 'mail_outbox' })
@Index({ name: 'mail_outbox_status_next_attempt_at_index', properties: ['status', 'nextAttemptAt'] })
@Index({ name: 'mail_outbox_created_at_index', properties: ['createdAt'] })
export class OutboxMail {
  [OptionalProps]?:
    'id' | 'status' | 'attempts' | 'nextAttemptAt' | 'claimedUntil' | 'lastError' | 'userId' | 'sendBefore' | 'createdAt' | 'sentAt' | 'failedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  recipient!: string;

  @Property({ type: 'text' })
  template!: string;

  @Property({ type: 'text', nullable: true })
  data!: string | null;

  @Enum({ items: () => OutboxStatus, default: OutboxStatus.PENDING })
  status: OutboxStatus = OutboxStatus.PENDING;

  /** Attempts started (a claim counts one). */
  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'timestamptz' })
  nextAttemptAt: Date = new Date();

  /** While in the future, the instance that claimed the message is sending it. */
  @Property({ type: 'timestamptz', nullable: true })
  claimedUntil: Date | null = null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  userId: string | null = null;

  /** Not worth sending after this (the link it carries has expired): it fails instead. */
  @Property({ type: 'timestamptz', nullable: true })
  sendBefore: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  sentAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  failedAt: Date | null = null;
}
