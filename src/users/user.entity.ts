import { randomUUID } from 'node:crypto';
import { Entity, Enum, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { emailSkeleton } from './lookalike';
import { Role } from './role';

@ObjectType({ description: 'An account.' })
@Entity({ tableName: 'users' })
export class User {
  [OptionalProps]?: 'id' | 'emailSkeleton' | 'role' | 'createdAt' | 'updatedAt' | 'disabledAt' | 'emailVerifiedAt';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Always stored normalised (trimmed, lower-case): the unique index makes emails unique case-insensitively. */
  @Field({ description: 'Normalised: trimmed and lower-case.' })
  @Unique({ name: 'users_email_unique' })
  @Property({ type: 'text' })
  email!: string;

  /**
   * The email's UTS #39 confusable skeleton (src/users/lookalike.ts), set on insert: the unique index
   * refuses an account that looks like an existing one. Null only for an account that already looked like
   * an older one when the index came (see Migration20261201090000); such accounts keep working.
   */
  @Unique({ name: 'users_email_skeleton_unique' })
  @Property({ type: 'text', nullable: true, hidden: true, onCreate: (user: User) => emailSkeleton(user.email) })
  emailSkeleton: string | null = null;

  /** Scheme-tagged hash, e.g. "bcrypt-sha256$2b$12$..."; never exposed. */
  @Property({ type: 'text', hidden: true, lazy: false })
  passwordHash!: string;

  @Field(() => Role)
  @Enum({ items: () => Role })
  role: Role = Role.USER;

  /**
   * When the current address was proven to reach its owner (a verification, reset or email-change link);
   * null until then. An email change sets it, since the new address is confirmed by its own link.
   */
  @Field(() => Date, { nullable: true, description: 'When this address was verified (a link sent to it was opened); null until then.' })
  @Property({ type: 'timestamptz', nullable: true })
  emailVerifiedAt: Date | null = null;

  @Field()
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  /** Set while an admin has disabled the account: no login, no refresh, no session. */
  @Field(() => Date, { nullable: true, description: 'When an admin disabled this account; null while it is enabled.' })
  @Property({ type: 'timestamptz', nullable: true })
  disabledAt: Date | null = null;
}

/** A user as code outside a unit of work sees it: a plain read-only copy of the row, without its hash or skeleton. */
export type UserSnapshot = Omit<User, 'passwordHash' | 'emailSkeleton'>;
