import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from '../users/user.entity';

export enum ChallengePurpose {
  REGISTRATION = 'REGISTRATION',
  AUTHENTICATION = 'AUTHENTICATION',
}

/**
 * A WebAuthn challenge the server handed out: found by its random id (the client's challengeId) or by the
 * SHA-256 of the challenge the signed client data carries; the challenge itself is not stored. Single use
 * (usedAt, set by a conditional update) and valid for 5 minutes.
 */
@Entity({ tableName: 'webauthn_challenges' })
@Index({ name: 'webauthn_challenges_expires_at_index', properties: ['expiresAt'] })
export class WebAuthnChallenge {
  [OptionalProps]?: 'id' | 'createdAt' | 'usedAt' | 'user';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Enum({ items: () => ChallengePurpose })
  purpose!: ChallengePurpose;

  /** Registration: the signed-in user. Sign-in with an email: that account (null when it has none, or for a discoverable sign-in). */
  @ManyToOne(() => User, { nullable: true, deleteRule: 'cascade' })
  user: User | null = null;

  /** Hex SHA-256 of the challenge (base64url text). */
  @Index({ name: 'webauthn_challenges_challenge_hash_index' })
  @Property({ type: 'text' })
  challengeHash!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  usedAt: Date | null = null;
}
