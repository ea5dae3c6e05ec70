import { Migration } from '@mikro-orm/migrations';

/** Users and revoked access tokens. */
export class Migration20261129164404 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "revoked_tokens" ("jti" uuid not null, "user_id" uuid not null, "expires_at" timestamptz not null, "revoked_at" timestamptz not null, constraint "revoked_tokens_pkey" primary key ("jti"));`);
    this.addSql(`create index "revoked_tokens_expires_at_index" on "revoked_tokens" ("expires_at");`);

    this.addSql(`create table "users" ("id" uuid not null, "email" text not null, "password_hash" text not null, "role" text check ("role" in ('USER', 'ADMIN')) not null default 'USER', "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "users_pkey" primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "users" cascade;`);
    this.addSql(`drop table if exists "revoked_tokens" cascade;`);
  }
}
