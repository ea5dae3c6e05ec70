import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { User } from '../users/user.entity';

/**
 * One single-use recovery code, by the SHA-256 of its normalised text (the text is shown once, when the
 * codes are made). A code has ~50 bits from a CSPRNG, so a fast unsalted hash is enough: no dictionary
 * applies, and guesses are limited per challenge, account and IP.
 */
@Entity({ tableName: 'recovery_codes' })
@Index({ name: 'recovery_codes_user_id_index', properties: ['user'] })
@Unique({ name: 'recovery_codes_user_id_code_hash_unique', properties: ['user', 'codeHash'] })
export class RecoveryCode {
  [OptionalProps]?: 'id' | 'createdAt' | 'usedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'text' })
  codeHash!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  usedAt: Date | null = null;
}
