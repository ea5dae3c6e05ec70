import type { EntityManager } from '@mikro-orm/postgresql';
import type { AccountNotifier } from '../auth/account-notifier';
import type { ClientInfo } from '../common/request-meta';
import type { Config } from '../config';
import { SecurityEventType } from '../events/security-event-type';
import type { MailService } from '../mail/mail.service';
import type { Session } from '../sessions/session.entity';
import type { User } from '../users/user.entity';
import { noticeData } from './link-mail';
import type { LinkTokenService } from './link-token.service';
import type { VerificationService } from './verification.service';

// A "device" is the user agent string with its digits removed, so that a browser's updates are the same
// device. Seen before: another session of the account (live, or ended and not yet purged) or a recorded
// successful login (kept SECURITY_EVENT_RETENTION, 90 days by default) from it. Limits: two browsers of
// one kind and platform look like one device, a client that sends no user agent is one device, and a
// device unused for longer than the retention is new again. The first sign-in ever (no other session,
// no login recorded) tells nothing.
const DEVICE_SQL = `
select exists (select 1 from sessions where user_id = ? and id <> ?) or exists (select 1 from security_events where user_id = ? and type = ?) as known_account,
       exists (select 1 from sessions where user_id = ? and id <> ? and regexp_replace(coalesce(user_agent, ''), '[0-9]', '', 'g') = ?)
    or exists (select 1 from security_events where user_id = ? and type = ? and regexp_replace(coalesce(user_agent, ''), '[0-9]', '', 'g') = ?) as known_device`;

const device = (userAgent: string | null) => (userAgent ?? '').replace(/[0-9]/g, '');

/** The mail auth/ asks for (src/auth/account-notifier.ts), queued in the caller's transaction. */
export class AccountNotices implements AccountNotifier {
  constructor(
    private readonly config: Config['recovery'],
    private readonly mail: MailService,
    private readonly links: LinkTokenService,
    private readonly verification: VerificationService,
  ) {}

  accountCreated(tx: EntityManager, user: User): Promise<void> {
    return this.verification.queue(tx, user);
  }

  async passwordChanged(tx: EntityManager, user: User, client: ClientInfo): Promise<void> {
    // A pending email change (or reset) must not outlive a password change: the notice of an email change
    // tells its owner that changing the password cancels it.
    await this.links.invalidateAll(tx, user.id);
    this.mail.enqueue(tx, { to: user.email, template: 'passwordChanged', data: noticeData(client), userId: user.id });
  }

  get notifiesSignIn(): boolean {
    return this.config.notifyNewSignIn && this.mail.enabled;
  }

  async signedIn(tx: EntityManager, user: User, session: Session, client: ClientInfo): Promise<void> {
    if (!this.notifiesSignIn) return;
    const ua = device(client.userAgent);
    const login = SecurityEventType.LOGIN_SUCCEEDED;
    const [row] = await tx.execute<{ known_account: boolean; known_device: boolean }[]>(DEVICE_SQL, [
      user.id,
      session.id,
      user.id,
      login,
      user.id,
      session.id,
      ua,
      user.id,
      login,
      ua,
    ]);
    if (!row?.known_account || row.known_device) return;
    this.mail.enqueue(tx, { to: user.email, template: 'newSignIn', data: noticeData(client), userId: user.id });
  }

  committed(): void {
    this.mail.wake();
  }
}
