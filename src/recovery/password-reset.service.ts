import type { EntityManager } from '@mikro-orm/postgresql';
import type { PasswordHasher } from '../auth/password-hasher';
import { assertPasswordNotOversized, type PasswordPolicy } from '../auth/password-policy';
import type { ClientInfo } from '../common/request-meta';
import type { Viewer } from '../identity/viewer';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import type { RateLimitService } from '../limits/rate-limit.service';
import type { MailService } from '../mail/mail.service';
import { RevokeReason, type SessionService } from '../sessions/session.service';
import { LinkPurpose } from './email-token.entity';
import { linkMail, noticeData, requestByAddress, requestForAccount } from './link-mail';
import type { LinkTokenService } from './link-token.service';

export interface PasswordReset {
  token: string;
  newPassword: string;
}

/** A forgotten password: a link to the account's address, and setting a new password with it. */
export class PasswordResetService {
  constructor(
    private readonly links: LinkTokenService,
    private readonly mail: MailService,
    private readonly limits: RateLimitService,
    private readonly events: SecurityEventService,
    private readonly passwords: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionService,
  ) {}

  /** Always true, with the same work, limits and timing whether or not the address has an account (link-mail.ts). */
  async request(em: EntityManager, email: string, client: ClientInfo): Promise<boolean> {
    const user = await requestByAddress({ mail: this.mail, limits: this.limits, links: this.links }, em, email, client, {
      operation: 'requestPasswordReset',
      purpose: LinkPurpose.RESET_PASSWORD,
      eligible: () => true,
      mail: (tx, target, link) => this.mail.enqueue(tx, linkMail('resetPassword', target, link)),
    });
    // Recorded for every request (the account when one got the link), so this write is no tell either.
    await this.events.record({ type: SecurityEventType.PASSWORD_RESET_REQUESTED, userId: user?.id ?? null, client });
    return true;
  }

  /**
   * ADMIN: mails the account the link requestPasswordReset mails (link-mail.ts, requestForAccount), and
   * records it with the admin in `details.by`.
   */
  async sendByAdmin(em: EntityManager, admin: Viewer, userId: string, client: ClientInfo): Promise<boolean> {
    const user = await requestForAccount({ mail: this.mail, limits: this.limits, links: this.links }, em, userId, {
      purpose: LinkPurpose.RESET_PASSWORD,
      mail: (tx, target, link) => this.mail.enqueue(tx, linkMail('resetPassword', target, link)),
    });
    await this.events.record({
      type: SecurityEventType.PASSWORD_RESET_REQUESTED,
      userId: user.id,
      sessionId: admin.sessionId,
      client,
      details: { by: admin.user.id },
    });
    return true;
  }

  /**
   * Sets the new password and ends every session of the user (their access tokens stop at once, on every
   * instance, as with logout ALL). It does not sign in: the link proves the mailbox, one factor; the user
   * signs in with the new password (and, with issue 13, their second factor).
   */
  async reset(em: EntityManager, input: PasswordReset, client: ClientInfo): Promise<boolean> {
    assertPasswordNotOversized(input.newPassword, 'newPassword');
    await this.limits.consumeIp('resetPassword', client.ip);
    // The policy needs the account's address, and bcrypt runs before the transaction (no connection or lock
    // held while it hashes): a first look at the token, checked again under the locks below.
    const { user: owner } = await this.links.peek(em, input.token, LinkPurpose.RESET_PASSWORD);
    await this.policy.assertAcceptable(input.newPassword, owner.email, 'newPassword');
    const passwordHash = await this.passwords.hash(input.newPassword);
    const user = await em.transactional(async (tx) => {
      const { user: current, token } = await this.links.claim(tx, input.token, LinkPurpose.RESET_PASSWORD);
      current.passwordHash = passwordHash;
      // The link proves the mailbox.
      current.emailVerifiedAt ??= new Date();
      await this.sessions.revokeAll(tx, current.id, RevokeReason.PASSWORD_RESET);
      // Every other outstanding link of the account (older resets, a pending email change) ends with it.
      await this.links.invalidateAll(tx, current.id);
      token.usedAt = new Date();
      this.mail.enqueue(tx, { to: current.email, template: 'passwordReset', data: noticeData(client), userId: current.id });
      return current;
    });
    this.mail.wake();
    // The owner's own failed attempts no longer hold the account back (the account-wide count, and the one
    // from this client's IP; another IP's block, an attacker's, runs out on its own).
    await this.limits.clearAccount(user.email, client.ip);
    await this.events.record({ type: SecurityEventType.PASSWORD_RESET, userId: user.id, client });
    return true;
  }
}
