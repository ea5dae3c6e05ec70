import { Migration } from '@mikro-orm/migrations';

/**
 * The mail outbox (src/mail/outbox-mail.entity.ts), and EMAIL_DELIVERY_FAILED among the security event types.
 */
export class Migration20261205100000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "mail_outbox" ("id" uuid not null, "recipient" text not null, "template" text not null, "data" text null, "status" text check ("status" in ('PENDING', 'SENT', 'FAILED')) not null default 'PENDING', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "claimed_until" timestamptz null, "last_error" text null, "user_id" uuid null, "send_before" timestamptz null, "created_at" timestamptz not null, "sent_at" timestamptz null, "failed_at" timestamptz null, constraint "mail_outbox_pkey" primary key ("id"));`);
    this.addSql(`create index "mail_outbox_status_next_attempt_at_index" on "mail_outbox" ("status", "next_attempt_at");`);
    this.addSql(`create index "mail_outbox_created_at_index" on "mail_outbox" ("created_at");`);
    this.addSql(`alter table "security_events" drop constraint if exists "security_events_type_check";`);
    this.addSql(`alter table "security_events" add constraint "security_events_type_check" check ("type" in ('LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REVOKED_TOKEN_REUSE', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_REVOKED', 'ROLE_CHANGED', 'USER_DISABLED', 'USER_ENABLED', 'EMAIL_DELIVERY_FAILED'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "security_events" drop constraint if exists "security_events_type_check";`);
    this.addSql(`alter table "security_events" add constraint "security_events_type_check" check ("type" in ('LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REVOKED_TOKEN_REUSE', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_REVOKED', 'ROLE_CHANGED', 'USER_DISABLED', 'USER_ENABLED'));`);
    this.addSql(`drop table if exists "mail_outbox" cascade;`);
  }

}
