import { Migration } from '@mikro-orm/migrations';

/**
 * Account recovery by email (src/recovery/): when each address was verified, and the one-time link tokens
 * (by their SHA-256 only) that verification, password reset and email change send. The new security
 * event types join the check constraint (keep every value of SecurityEventType in it).
 */
export class Migration20261205110000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "users" add column "email_verified_at" timestamptz null;`);
    this.addSql(`create table "email_tokens" ("id" uuid not null, "user_id" uuid not null, "purpose" text check ("purpose" in ('VERIFY_EMAIL', 'RESET_PASSWORD', 'CHANGE_EMAIL')) not null, "token_hash" text not null, "email" text not null, "new_email" text null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, constraint "email_tokens_pkey" primary key ("id"));`);
    this.addSql(`alter table "email_tokens" add constraint "email_tokens_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "email_tokens_user_id_purpose_index" on "email_tokens" ("user_id", "purpose");`);
    this.addSql(`alter table "email_tokens" add constraint "email_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "security_events" drop constraint if exists "security_events_type_check";`);
    this.addSql(`alter table "security_events" add constraint "security_events_type_check" check("type" in ('LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REVOKED_TOKEN_REUSE', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_REVOKED', 'ROLE_CHANGED', 'USER_DISABLED', 'USER_ENABLED', 'EMAIL_DELIVERY_FAILED', 'EMAIL_VERIFIED', 'PASSWORD_RESET_REQUESTED', 'PASSWORD_RESET', 'EMAIL_CHANGE_REQUESTED', 'EMAIL_CHANGED'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "security_events" drop constraint if exists "security_events_type_check";`);
    this.addSql(`alter table "security_events" add constraint "security_events_type_check" check("type" in ('LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REVOKED_TOKEN_REUSE', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_REVOKED', 'ROLE_CHANGED', 'USER_DISABLED', 'USER_ENABLED', 'EMAIL_DELIVERY_FAILED'));`);
    this.addSql(`drop table if exists "email_tokens" cascade;`);
    this.addSql(`alter table "users" drop column "email_verified_at";`);
  }

}
