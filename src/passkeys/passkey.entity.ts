import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { User } from '../users/user.entity';

/**
 * A WebAuthn credential (a passkey) registered by its user. What the ceremony needs is stored as the
 * authenticator gave it: the credential id, the COSE public key, the signature counter (which must never go
 * backwards), the transports, the backup flags and the AAGUID (which model of authenticator made it).
 */
@ObjectType({ description: 'A passkey the signed-in user registered.' })
@Entity({ tableName: 'passkeys' })
@Index({ name: 'passkeys_user_id_index', properties: ['user'] })
export class Passkey {
  [OptionalProps]?: 'id' | 'createdAt' | 'lastUsedAt' | 'signCount' | 'transports' | 'aaguid';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  /** The credential id, base64url, as browsers send it in assertions. */
  @Unique({ name: 'passkeys_credential_id_unique' })
  @Property({ type: 'text' })
  credentialId!: string;

  /** The COSE public key, base64url. */
  @Property({ type: 'text', hidden: true })
  publicKey!: string;

  /** The last signature counter seen; 0 for authenticators that do not count (most synced passkeys). */
  @Property({ type: 'bigint', hidden: true })
  signCount: number = 0;

  @Field(() => [String], { description: 'How the browser may reach the authenticator (internal, hybrid, usb, nfc, ble).' })
  @Property({ type: 'text[]' })
  transports: string[] = [];

  @Field({ description: 'Whether the passkey is backed up (synced to other devices by its provider).' })
  @Property({ type: 'boolean' })
  backedUp!: boolean;

  @Field({ description: '"singleDevice" (bound to one authenticator) or "multiDevice" (may be synced).' })
  @Property({ type: 'text' })
  deviceType!: string;

  /** The authenticator model's AAGUID (all zeros with "none" attestation from some authenticators). */
  @Property({ type: 'text' })
  aaguid: string = '00000000-0000-0000-0000-000000000000';

  @Field({ description: "The user's own name for it." })
  @Property({ type: 'text' })
  name!: string;

  @Field()
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Field(() => Date, { nullable: true, description: 'The last sign-in with it; null until then.' })
  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null = null;
}

/**
 * The WebAuthn user handle of an account: 32 random bytes, made once and the same for all its passkeys.
 * Never the email or the database id, which the authenticator would store and show to anyone holding it.
 */
@Entity({ tableName: 'passkey_user_handles' })
export class PasskeyUserHandle {
  @ManyToOne(() => User, { primary: true, deleteRule: 'cascade' })
  user!: User;

  /** base64url. */
  @Unique({ name: 'passkey_user_handles_handle_unique' })
  @Property({ type: 'text' })
  handle!: string;
}
