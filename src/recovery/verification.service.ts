import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../common/request-meta';
import { badUserInput } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import type { Viewer } from '../identity/viewer';
import type { RateLimitService } from '../limits/rate-limit.service';
import type { MailService } from '../mail/mail.service';
import { User } from '../users/user.entity';
import { LinkPurpose } from './email-token.entity';
import { linkMail, requestByAddress, requestForAccount } from './link-mail';
import type { IssuedLink, LinkTokenService } from './link-token.service';

/** Proving that an account's address reaches its owner: the link, and what opening it does. */
export class VerificationService {
  constructor(
    private readonly links: LinkTokenService,
    private readonly mail: MailService,
    private readonly limits: RateLimitService,
    private readonly events: SecurityEventService,
  ) {}

  /** Signed in: a link to the account's address. Already verified: true, and no mail. */
  async request(em: EntityManager, viewer: Viewer, client: ClientInfo): Promise<boolean> {
    await this.limits.consumeIp('requestEmailVerification', client.ip);
    this.mail.assertEnabled();
    const user = await em.findOneOrFail(User, viewer.user.id, { refresh: true });
    if (user.emailVerifiedAt) return true;
    await this.limits.consumeMailAddress(user.email);
    await em.transactional((tx) => this.queue(tx, user));
    this.mail.wake();
    return true;
  }

  /** No sign-in needed (REQUIRE_VERIFIED_EMAIL leaves an unverified user without a session): always true. */
  async resend(em: EntityManager, email: string, client: ClientInfo): Promise<boolean> {
    await requestByAddress({ mail: this.mail, limits: this.limits, links: this.links }, em, email, client, {
      operation: 'resendVerificationEmail',
      purpose: LinkPurpose.VERIFY_EMAIL,
      eligible: (user) => !user.emailVerifiedAt,
      mail: (tx, user, link) => this.enqueue(tx, user, link),
    });
    return true;
  }

  /**
   * ADMIN: mails the account the link requestEmailVerification mails (link-mail.ts, requestForAccount);
   * BAD_USER_INPUT on `userId` when its address is verified already. Recorded as
   * EMAIL_VERIFICATION_REQUESTED with the admin in `details.by`.
   */
  async sendByAdmin(em: EntityManager, admin: Viewer, userId: string, client: ClientInfo): Promise<boolean> {
    const user = await requestForAccount({ mail: this.mail, limits: this.limits, links: this.links }, em, userId, {
      purpose: LinkPurpose.VERIFY_EMAIL,
      check: (target) => {
        if (target.emailVerifiedAt) throw badUserInput('userId', 'This account’s address is verified already.');
      },
      mail: (tx, target, link) => this.enqueue(tx, target, link),
    });
    await this.events.record({
      type: SecurityEventType.EMAIL_VERIFICATION_REQUESTED,
      userId: user.id,
      sessionId: admin.sessionId,
      client,
      details: { by: admin.user.id },
    });
    return true;
  }

  /** Issues the link and queues its mail, in `tx` (also a new account's, under REQUIRE_VERIFIED_EMAIL). */
  async queue(tx: EntityManager, user: User): Promise<void> {
    const link = await this.links.issue(tx, { userId: user.id, purpose: LinkPurpose.VERIFY_EMAIL, email: user.email });
    this.enqueue(tx, user, link);
  }

  /**
   * Marks the address verified, if the account still has the address the link was sent to. No sign-in
   * needed: the link may be opened on another device.
   */
  async verify(em: EntityManager, token: string, client: ClientInfo): Promise<User> {
    await this.limits.consumeIp('verifyEmail', client.ip);
    const user = await em.transactional(async (tx) => {
      const claimed = await this.links.claim(tx, token, LinkPurpose.VERIFY_EMAIL);
      claimed.token.usedAt = new Date();
      claimed.user.emailVerifiedAt ??= new Date();
      return claimed.user;
    });
    await this.events.record({ type: SecurityEventType.EMAIL_VERIFIED, userId: user.id, client });
    return user;
  }

  private enqueue(tx: EntityManager, user: User, link: IssuedLink): void {
    this.mail.enqueue(tx, linkMail('verifyEmail', user, link));
  }
}
