import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { User } from '../users/user.entity';

/**
 * The half-finished sign-in between a right password and a second factor: no session or token exists
 * yet. Found by the SHA-256 of its opaque token (the text is only in the login answer), bound to the user
 * and to the client (IP and user agent) that gave the password, and spent by one success, by
 * MFA_MAX_ATTEMPTS wrong codes, or by time.
 */
@Entity({ tableName: 'mfa_challenges' })
@Index({ name: 'mfa_challenges_user_id_index', properties: ['user'] })
@Index({ name: 'mfa_challenges_expires_at_index', properties: ['expiresAt'] })
export class MfaChallengeRecord {
  [OptionalProps]?: 'id' | 'createdAt' | 'attempts' | 'usedAt' | 'ip' | 'userAgent';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  /** Hex SHA-256 of the challenge token. */
  @Unique({ name: 'mfa_challenges_token_hash_unique' })
  @Property({ type: 'text' })
  tokenHash!: string;

  /**
   * SHA-256 of the password hash the login checked: a password change or reset before the code ends the
   * challenge, as it ends sessions.
   */
  @Property({ type: 'text' })
  passwordTag!: string;

  @Property({ type: 'text', nullable: true })
  ip: string | null = null;

  @Property({ type: 'text', nullable: true })
  userAgent: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  /** Wrong codes so far. */
  @Property({ type: 'integer' })
  attempts: number = 0;

  /** Spent: signed in, or killed by too many wrong codes. */
  @Property({ type: 'timestamptz', nullable: true })
  usedAt: Date | null = null;
}
