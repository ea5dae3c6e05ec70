import { Migration } from '@mikro-orm/migrations';

/**
 * The second factor (src/mfa/): TOTP factors (secret encrypted), recovery codes and sign-in challenges
 * (by their SHA-256 only); what each session's tokens say about how its user authenticated (amr and
 * auth_time: existing sessions were opened with a password at their creation). The new security event
 * types join the check constraint (keep every value of SecurityEventType in it).
 */
export class Migration20261206090000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "sessions" add column "amr" text[] not null default '{pwd}', add column "authenticated_at" timestamptz null;`);
    this.addSql(`update "sessions" set "authenticated_at" = "created_at";`);
    this.addSql(`alter table "sessions" alter column "authenticated_at" set not null, alter column "amr" drop default;`);
    this.addSql(`create table "totp_factors" ("id" uuid not null, "user_id" uuid not null, "secret_sealed" text not null, "created_at" timestamptz not null, "confirmed_at" timestamptz null, "last_used_step" bigint null, constraint "totp_factors_pkey" primary key ("id"));`);
    this.addSql(`alter table "totp_factors" add constraint "totp_factors_user_id_unique" unique ("user_id");`);
    this.addSql(`alter table "totp_factors" add constraint "totp_factors_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "recovery_codes" ("id" uuid not null, "user_id" uuid not null, "code_hash" text not null, "created_at" timestamptz not null, "used_at" timestamptz null, constraint "recovery_codes_pkey" primary key ("id"));`);
    this.addSql(`create index "recovery_codes_user_id_index" on "recovery_codes" ("user_id");`);
    this.addSql(`alter table "recovery_codes" add constraint "recovery_codes_user_id_code_hash_unique" unique ("user_id", "code_hash");`);
    this.addSql(`alter table "recovery_codes" add constraint "recovery_codes_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "mfa_challenges" ("id" uuid not null, "user_id" uuid not null, "token_hash" text not null, "password_tag" text not null, "ip" text null, "user_agent" text null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "attempts" int not null default 0, "used_at" timestamptz null, constraint "mfa_challenges_pkey" primary key ("id"));`);
    this.addSql(`alter table "mfa_challenges" add constraint "mfa_challenges_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "mfa_challenges_user_id_index" on "mfa_challenges" ("user_id");`);
    this.addSql(`create index "mfa_challenges_expires_at_index" on "mfa_challenges" ("expires_at");`);
    this.addSql(`alter table "mfa_challenges" add constraint "mfa_challenges_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "security_events" drop constraint if exists "security_events_type_check";`);
    this.addSql(`alter table "security_events" add constraint "security_events_type_check" check("type" in ('LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REVOKED_TOKEN_REUSE', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_REVOKED', 'ROLE_CHANGED', 'USER_DISABLED', 'USER_ENABLED', 'EMAIL_DELIVERY_FAILED', 'EMAIL_VERIFIED', 'PASSWORD_RESET_REQUESTED', 'PASSWORD_RESET', 'EMAIL_CHANGE_REQUESTED', 'EMAIL_CHANGED', 'MFA_ENROLLED', 'MFA_DISABLED', 'MFA_FAILED', 'MFA_CHALLENGE_EXPIRED', 'RECOVERY_CODE_USED', 'MFA_RESET_BY_ADMIN', 'MFA_FAILURES_REPEATED'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "security_events" drop constraint if exists "security_events_type_check";`);
    this.addSql(`alter table "security_events" add constraint "security_events_type_check" check("type" in ('LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REVOKED_TOKEN_REUSE', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_REVOKED', 'ROLE_CHANGED', 'USER_DISABLED', 'USER_ENABLED', 'EMAIL_DELIVERY_FAILED', 'EMAIL_VERIFIED', 'PASSWORD_RESET_REQUESTED', 'PASSWORD_RESET', 'EMAIL_CHANGE_REQUESTED', 'EMAIL_CHANGED'));`);
    this.addSql(`drop table if exists "mfa_challenges" cascade;`);
    this.addSql(`drop table if exists "recovery_codes" cascade;`);
    this.addSql(`drop table if exists "totp_factors" cascade;`);
    this.addSql(`alter table "sessions" drop column "authenticated_at", drop column "amr";`);
  }

}
