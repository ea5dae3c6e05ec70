import { Migration } from '@mikro-orm/migrations';

/**
 * Every change to what an access token's check depends on (a revoked jti, a session, a user) announces
 * itself on the `gatehouse_auth` channel when its transaction commits, whatever wrote it: the server, the
 * CLI, or an operator's SQL. Instances drop their cached state for it (src/auth/auth-state-listener.ts).
 * Payloads: "t:<jti>", "s:<session id>", "u:<user id>".
 */
export class Migration20261129191500 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create or replace function gatehouse_notify_auth_change() returns trigger language plpgsql as $$
declare
  row record := case when tg_op = 'DELETE' then old else new end;
begin
  if tg_table_name = 'revoked_tokens' then
    perform pg_notify('gatehouse_auth', 't:' || row.jti);
  elsif tg_table_name = 'sessions' then
    perform pg_notify('gatehouse_auth', 's:' || row.id);
  else
    perform pg_notify('gatehouse_auth', 'u:' || row.id);
  end if;
  return null;
end $$;`);
    this.addSql(`create trigger revoked_tokens_notify after insert on "revoked_tokens" for each row execute function gatehouse_notify_auth_change();`);
    // last_used_at moves on every refresh and is not part of a token's check.
    this.addSql(`create trigger sessions_notify after update of "revoked_at", "expires_at", "user_id" or delete on "sessions" for each row execute function gatehouse_notify_auth_change();`);
    this.addSql(`create trigger users_notify after update or delete on "users" for each row execute function gatehouse_notify_auth_change();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists users_notify on "users";`);
    this.addSql(`drop trigger if exists sessions_notify on "sessions";`);
    this.addSql(`drop trigger if exists revoked_tokens_notify on "revoked_tokens";`);
    this.addSql(`drop function if exists gatehouse_notify_auth_change();`);
  }

}
