import { Migration } from '@mikro-orm/migrations';

/** Sessions with rotating refresh tokens, security events, and disabling users. */
export class Migration20261129170353 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "security_events" ("id" uuid not null, "type" text check ("type" in ('LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REVOKED_TOKEN_REUSE', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_REVOKED', 'ROLE_CHANGED', 'USER_DISABLED', 'USER_ENABLED')) not null, "severity" text check ("severity" in ('INFO', 'WARNING', 'HIGH')) not null, "user_id" uuid null, "session_id" uuid null, "ip" text null, "user_agent" text null, "details" jsonb not null, "created_at" timestamptz not null, "last_seen_at" timestamptz not null, "count" int not null default 1, "dedupe_key" text not null, constraint "security_events_pkey" primary key ("id"));`);
    this.addSql(`alter table "security_events" add constraint "security_events_dedupe_key_unique" unique ("dedupe_key");`);
    this.addSql(`create index "security_events_created_at_index" on "security_events" ("created_at");`);
    this.addSql(`create index "security_events_user_id_created_at_index" on "security_events" ("user_id", "created_at");`);

    this.addSql(`create table "sessions" ("id" uuid not null, "user_id" uuid not null, "created_at" timestamptz not null, "last_used_at" timestamptz not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "revoked_reason" text null, "user_agent" text null, "ip" text null, constraint "sessions_pkey" primary key ("id"));`);
    this.addSql(`create index "sessions_user_id_index" on "sessions" ("user_id");`);

    this.addSql(`create table "refresh_tokens" ("token_hash" text not null, "session_id" uuid not null, "created_at" timestamptz not null, "rotated_at" timestamptz null, constraint "refresh_tokens_pkey" primary key ("token_hash"));`);
    this.addSql(`create index "refresh_tokens_session_id_index" on "refresh_tokens" ("session_id");`);

    this.addSql(`alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "refresh_tokens" add constraint "refresh_tokens_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "users" add column "disabled_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "refresh_tokens" drop constraint "refresh_tokens_session_id_foreign";`);

    this.addSql(`drop table if exists "security_events" cascade;`);

    this.addSql(`drop table if exists "sessions" cascade;`);

    this.addSql(`drop table if exists "refresh_tokens" cascade;`);

    this.addSql(`alter table "users" drop column "disabled_at";`);
  }

}
