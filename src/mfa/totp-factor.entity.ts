import { randomUUID } from 'node:crypto';
import { Entity, OneToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from '../users/user.entity';

/**
 * A user's TOTP authenticator (one per user). Pending from startTotpEnrollment until a first code
 * confirms it (`confirmedAt`); only a confirmed factor is asked for at sign-in. The shared secret is kept
 * encrypted (SecretCipher, ENCRYPTION_KEY), never in clear.
 */
@Entity({ tableName: 'totp_factors' })
export class TotpFactor {
  [OptionalProps]?: 'id' | 'createdAt' | 'confirmedAt' | 'lastUsedStep';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @OneToOne(() => User, { owner: true, deleteRule: 'cascade', unique: 'totp_factors_user_id_unique' })
  user!: User;

  /** `v1.<key id>.<iv | ciphertext | tag>` of the base32 secret, the user's id as associated data. */
  @Property({ type: 'text' })
  secretSealed!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  confirmedAt: Date | null = null;

  /**
   * The 30-second step of the last accepted code: a code is accepted once, so any code of this step or an
   * earlier one is refused (RFC 6238 5.2), even within the ±1 step window.
   */
  @Property({ type: 'bigint', nullable: true })
  lastUsedStep: string | null = null;
}
