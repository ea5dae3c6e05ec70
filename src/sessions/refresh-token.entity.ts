import { Entity, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Session } from './session.entity';

/**
 * Every refresh token a session has had, by the SHA-256 of its text (the text itself is never stored).
 * A token with `rotatedAt` set has been exchanged; presenting it again after the grace window is theft.
 */
@Entity({ tableName: 'refresh_tokens' })
export class RefreshToken {
  [OptionalProps]?: 'createdAt' | 'rotatedAt';

  @PrimaryKey({ type: 'text' })
  tokenHash!: string;

  @ManyToOne(() => Session, { deleteRule: 'cascade', index: 'refresh_tokens_session_id_index' })
  session!: Session;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  rotatedAt: Date | null = null;
}
