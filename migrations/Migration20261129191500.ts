import { Migration } from '@mikro-orm/migrations';

/**
 * Every change to what an access token's check depends on (a revoked jti, a session, a user) announces
 * itself on the `gatehouse_auth` channel when its transaction commits, whatever wrote it: the server, the
 * CLI, or an operator's SQL. Instances drop their cached state for it (src/identity/auth-state-listener.ts).
 * Payloads: "t:<jti>", "s:<session id>", "u:<user id>", and "*" (forget everything) for a statement that
 * revokes more tokens at once than it is worth naming one by one.
 */
export class Migration20261129191500 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create or replace function gatehouse_notify_revoked_tokens() returns trigger language plpgsql as $$
begin
  if (select count(*) from inserted) > 1000 then
    perform pg_notify('gatehouse_auth', '*');
  else
    perform pg_notify('gatehouse_auth', 't:' || jti) from inserted;
  end if;
  return null;
end $$;`);
    this.addSql(`create or replace function gatehouse_notify_row() returns trigger language plpgsql as $$
begin
  perform pg_notify('gatehouse_auth', tg_argv[0] || ':' || (case when tg_op = 'DELETE' then old.id else new.id end));
  return null;
end $$;`);
    this.addSql(`create trigger revoked_tokens_notify after insert on "revoked_tokens" referencing new table as inserted for each statement execute function gatehouse_notify_revoked_tokens();`);
    // last_used_at moves on every refresh and is not part of a token's check; housekeeping deletes only
    // sessions that ended long ago, which no cache holds as live.
    this.addSql(`create trigger sessions_notify_update after update of "revoked_at", "expires_at", "user_id" on "sessions" for each row execute function gatehouse_notify_row('s');`);
    this.addSql(`create trigger sessions_notify_delete after delete on "sessions" for each row when (old.revoked_at is null) execute function gatehouse_notify_row('s');`);
    this.addSql(`create trigger users_notify after update or delete on "users" for each row execute function gatehouse_notify_row('u');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists users_notify on "users";`);
    this.addSql(`drop trigger if exists sessions_notify_delete on "sessions";`);
    this.addSql(`drop trigger if exists sessions_notify_update on "sessions";`);
    this.addSql(`drop trigger if exists revoked_tokens_notify on "revoked_tokens";`);
    this.addSql(`drop function if exists gatehouse_notify_row();`);
    this.addSql(`drop function if exists gatehouse_notify_revoked_tokens();`);
  }

}
