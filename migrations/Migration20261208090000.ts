import { Migration } from '@mikro-orm/migrations';

/**
 * The admin console (issue 17). Statistics of security events by time (src/events/security-event-stats.service.ts)
 * read indexes only: one on created_at that includes type and count (it replaces the plain index on
 * created_at, whose use, the retention purge, it serves as well), and a partial one of the failures
 * (FAILURE_TYPES in src/events/security-event-type.ts) that includes the address.
 * ACCOUNT_LOCKED and EMAIL_VERIFICATION_REQUESTED join the check constraint (keep every value of
 * SecurityEventType in it). MFA_RESET_BY_ADMIN names the acting admin `details.by`, as every admin
 * action does (and as the account's own history hides); older rows said `adminId`.
 */
export class Migration20261208090000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index if exists "security_events_created_at_index";`);
    this.addSql(`create index "security_events_created_at_stats_index" on "security_events" ("created_at") include ("type", "count");`);
    this.addSql(`create index "security_events_failures_index" on "security_events" ("created_at") include ("ip", "count", "last_seen_at") where "type" in ('LOGIN_FAILED', 'MFA_FAILED', 'MFA_FAILURES_REPEATED', 'REFRESH_TOKEN_REUSE', 'REVOKED_TOKEN_REUSE', 'PASSKEY_CLONE_SUSPECTED', 'ACCOUNT_LOCKED');`);
    this.addSql(`alter table "security_events" drop constraint if exists "security_events_type_check";`);
    this.addSql(`alter table "security_events" add constraint "security_events_type_check" check("type" in ('LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REVOKED_TOKEN_REUSE', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_REVOKED', 'ROLE_CHANGED', 'USER_DISABLED', 'USER_ENABLED', 'EMAIL_DELIVERY_FAILED', 'EMAIL_VERIFIED', 'PASSWORD_RESET_REQUESTED', 'PASSWORD_RESET', 'EMAIL_CHANGE_REQUESTED', 'EMAIL_CHANGED', 'MFA_ENROLLED', 'MFA_DISABLED', 'MFA_FAILED', 'MFA_CHALLENGE_EXPIRED', 'RECOVERY_CODE_USED', 'MFA_RESET_BY_ADMIN', 'MFA_FAILURES_REPEATED', 'PASSKEY_ADDED', 'PASSKEY_REMOVED', 'PASSKEY_SIGN_IN', 'PASSKEY_CLONE_SUSPECTED', 'ACCOUNT_LOCKED', 'EMAIL_VERIFICATION_REQUESTED'));`);
    this.addSql(`update "security_events" set "details" = ("details" - 'adminId') || jsonb_build_object('by', "details" -> 'adminId') where "type" = 'MFA_RESET_BY_ADMIN' and "details" -> 'adminId' is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`update "security_events" set "details" = ("details" - 'by') || jsonb_build_object('adminId', "details" -> 'by') where "type" = 'MFA_RESET_BY_ADMIN' and "details" -> 'by' is not null;`);
    this.addSql(`delete from "security_events" where "type" in ('ACCOUNT_LOCKED', 'EMAIL_VERIFICATION_REQUESTED');`);
    this.addSql(`alter table "security_events" drop constraint if exists "security_events_type_check";`);
    this.addSql(`alter table "security_events" add constraint "security_events_type_check" check("type" in ('LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REVOKED_TOKEN_REUSE', 'REFRESH_TOKEN_REUSE', 'PASSWORD_CHANGED', 'SESSION_REVOKED', 'ROLE_CHANGED', 'USER_DISABLED', 'USER_ENABLED', 'EMAIL_DELIVERY_FAILED', 'EMAIL_VERIFIED', 'PASSWORD_RESET_REQUESTED', 'PASSWORD_RESET', 'EMAIL_CHANGE_REQUESTED', 'EMAIL_CHANGED', 'MFA_ENROLLED', 'MFA_DISABLED', 'MFA_FAILED', 'MFA_CHALLENGE_EXPIRED', 'RECOVERY_CODE_USED', 'MFA_RESET_BY_ADMIN', 'MFA_FAILURES_REPEATED', 'PASSKEY_ADDED', 'PASSKEY_REMOVED', 'PASSKEY_SIGN_IN', 'PASSKEY_CLONE_SUSPECTED'));`);
    this.addSql(`drop index if exists "security_events_failures_index";`);
    this.addSql(`drop index if exists "security_events_created_at_stats_index";`);
    this.addSql(`create index "security_events_created_at_index" on "security_events" ("created_at");`);
  }

}
