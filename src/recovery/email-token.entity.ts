import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { User } from '../users/user.entity';

/** What a link token may be used for; a token of one purpose is invalid for every other. */
export enum LinkPurpose {
  VERIFY_EMAIL = 'VERIFY_EMAIL',
  RESET_PASSWORD = 'RESET_PASSWORD',
  CHANGE_EMAIL = 'CHANGE_EMAIL',
}

/**
 * A one-time token sent in a link by mail, by the SHA-256 of its text (the text itself is only in the
 * mail). Used once (`usedAt`), also when a newer request of the same purpose supersedes it or the flow
 * that completes invalidates the user's other links.
 */
@Entity({ tableName: 'email_tokens' })
@Index({ name: 'email_tokens_user_id_purpose_index', properties: ['user', 'purpose'] })
export class EmailToken {
  [OptionalProps]?: 'id' | 'createdAt' | 'usedAt' | 'newEmail';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Enum({ items: () => LinkPurpose })
  purpose!: LinkPurpose;

  /** Hex SHA-256 of the token's text. */
  @Unique({ name: 'email_tokens_token_hash_unique' })
  @Property({ type: 'text' })
  tokenHash!: string;

  /** The address the link was sent to: the account's at the time (for a change, its old one). */
  @Property({ type: 'text' })
  email!: string;

  /** CHANGE_EMAIL: the address to change to, which the link was sent to. */
  @Property({ type: 'text', nullable: true })
  newEmail: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  usedAt: Date | null = null;
}
