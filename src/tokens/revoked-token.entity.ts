import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * An access token that must never work again, keyed by its `jti`. Kept only until the token would have
 * expired anyway (plus the clock tolerance); the purge job deletes older rows.
 */
@Entity({ tableName: 'revoked_tokens' })
export class RevokedToken {
  @PrimaryKey({ type: 'uuid' })
  jti!: string;

  @Property({ type: 'uuid' })
  userId!: string;

  /** The token's `exp`. */
  @Index({ name: 'revoked_tokens_expires_at_index' })
  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz' })
  revokedAt: Date = new Date();
}
