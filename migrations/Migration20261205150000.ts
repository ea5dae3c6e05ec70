import { Migration } from '@mikro-orm/migrations';

/**
 * The live security channel (src/live/): every security event, new or repeated within its dedupe window,
 * announces itself on the `gatehouse_live` channel when its transaction commits, so that each instance
 * pushes it to the subscribers it holds. The payload names the event (id, type, user, session, time); a
 * subscriber that needs the rest (an admin's securityEvents) reads the row by its id.
 */
export class Migration20261205150000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create or replace function gatehouse_notify_security_event() returns trigger language plpgsql as $$
begin
  perform pg_notify('gatehouse_live', json_build_object('id', new.id, 'type', new.type, 'userId', new.user_id, 'sessionId', new.session_id, 'at', new.last_seen_at)::text);
  return null;
end $$;`);
    this.addSql(`create trigger security_events_notify after insert or update of "count" on "security_events" for each row execute function gatehouse_notify_security_event();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists security_events_notify on "security_events";`);
    this.addSql(`drop function if exists gatehouse_notify_security_event();`);
  }

}
