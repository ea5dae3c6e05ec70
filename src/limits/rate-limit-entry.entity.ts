import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** rate-limiter-flexible's PostgreSQL store: shared by every instance, so limits hold across them. */
@Entity({ tableName: 'rate_limits' })
@Index({ name: 'rate_limits_expire_index', properties: ['expire'] })
export class RateLimitEntry {
  @PrimaryKey({ type: 'varchar', length: 255 })
  key!: string;

  @Property({ type: 'integer', default: 0 })
  points!: number;

  /** Unix milliseconds. */
  @Property({ type: 'bigint', nullable: true })
  expire?: string | null;
}
