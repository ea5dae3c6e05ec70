import { Migration } from '@mikro-orm/migrations';

/**
 * Passkeys (src/passkeys/): the credentials, each account's random WebAuthn user handle, and the challenges
 * handed out (by id and SHA-256 only). The passkey event types join the check constraint (keep every value
 * of SecurityEventType in it).
 */
export class Migration20261207090000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "passkeys" ("id" uuid not null, "user_id" uuid not null, "credential_id" text not null, "public_key" text not null, "sign_count" bigint not null default 0, "transports" text[] not null, "backed_up" boolean not null, "device_type" text not null, "aaguid" text not null default '00000000-0000-0000-0000-000000000000', "name" text not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, constraint "passkeys_pkey" primary key ("id"));`);
    this.addSql(`create index "passkeys_user_id_index" on "passkeys" ("user_id");`);
    this.addSql(`alter table "passkeys" add constraint "passkeys_credential_id_unique" unique ("credential_id");`);
    this.addSql(`alter table "passkeys" add constraint "passkeys_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "passkey_user_handles" ("user_id" uuid not null, "handle" text not null, constraint "passkey_user_handles_pkey" primary key ("user_id"));`);
    this.addSql(`alter table "passkey_user_handles" add constraint "passkey_user_handles_handle_unique" unique ("handle");`);
    this.addSql(`alter table "passkey_user_handles" add constraint "passkey_user_handles_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "webauthn_challenges" ("id" uuid not null, "purpose" text check ("purpose" in ('REGISTRATION', 'AUTHENTICATION')) not null, "user_id" uuid null, "challenge_hash" text not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, constraint "webauthn_challenges_pkey" primary key ("id"));`);
    this.addSql(`create index "webauthn_challenges_expires_at_index" on "webauthn_challenges" ("expires_at");`);
    this.addSql(`create index "webauthn_challenges_challenge_hash_index" on "webauthn_challenges" ("challenge_hash");`);
    this.addSql(`alter table "webauthn_challenges" add constraint "webauthn_challenges_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "security_events" drop constraint if exists "security_events_type_check";`);
    this.addSql(`alter table "security_events" add constraint "security_events_type_check" check("type" in ('LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REVOKED_TOKEN_REUSE', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_REVOKED', 'ROLE_CHANGED', 'USER_DISABLED', 'USER_ENABLED', 'EMAIL_DELIVERY_FAILED', 'EMAIL_VERIFIED', 'PASSWORD_RESET_REQUESTED', 'PASSWORD_RESET', 'EMAIL_CHANGE_REQUESTED', 'EMAIL_CHANGED', 'MFA_ENROLLED', 'MFA_DISABLED', 'MFA_FAILED', 'MFA_CHALLENGE_EXPIRED', 'RECOVERY_CODE_USED', 'MFA_RESET_BY_ADMIN', 'MFA_FAILURES_REPEATED', 'PASSKEY_ADDED', 'PASSKEY_REMOVED', 'PASSKEY_SIGN_IN', 'PASSKEY_CLONE_SUSPECTED'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "security_events" drop constraint if exists "security_events_type_check";`);
    this.addSql(`alter table "security_events" add constraint "security_events_type_check" check("type" in ('LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REVOKED_TOKEN_REUSE', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_REVOKED', 'ROLE_CHANGED', 'USER_DISABLED', 'USER_ENABLED', 'EMAIL_DELIVERY_FAILED', 'EMAIL_VERIFIED', 'PASSWORD_RESET_REQUESTED', 'PASSWORD_RESET', 'EMAIL_CHANGE_REQUESTED', 'EMAIL_CHANGED', 'MFA_ENROLLED', 'MFA_DISABLED', 'MFA_FAILED', 'MFA_CHALLENGE_EXPIRED', 'RECOVERY_CODE_USED', 'MFA_RESET_BY_ADMIN', 'MFA_FAILURES_REPEATED'));`);
    this.addSql(`drop table if exists "webauthn_challenges" cascade;`);
    this.addSql(`drop table if exists "passkey_user_handles" cascade;`);
    this.addSql(`drop table if exists "passkeys" cascade;`);
  }

}
