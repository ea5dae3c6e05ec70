import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from '../users/user.entity';

/** One login: its refresh tokens rotate within it, and every access token names it (`sid`). */
@Entity({ tableName: 'sessions' })
@Index({ name: 'sessions_user_id_index', properties: ['user'] })
export class Session {
  [OptionalProps]?: 'id' | 'createdAt' | 'lastUsedAt' | 'revokedAt' | 'revokedReason' | 'userAgent' | 'ip' | 'amr' | 'authenticatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  /** The last login or refresh. Access tokens do not touch it (that would be a write per request). */
  @Property({ type: 'timestamptz' })
  lastUsedAt: Date = new Date();

  /** The absolute end, however active the session is. */
  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  revokedReason: string | null = null;

  @Property({ type: 'text', nullable: true })
  userAgent: string | null = null;

  @Property({ type: 'text', nullable: true })
  ip: string | null = null;

  /**
   * How the user last proved who they are in this session (RFC 8176 values, e.g. ["pwd"], ["pwd", "otp",
   * "mfa"]): every access token of the session carries it, refreshes included; reauthenticate replaces it.
   */
  @Property({ type: 'text[]' })
  amr: string[] = ['pwd'];

  /** When that proof happened: the tokens' `auth_time` (sign-in, or the latest reauthenticate). */
  @Property({ type: 'timestamptz' })
  authenticatedAt: Date = new Date();
}
