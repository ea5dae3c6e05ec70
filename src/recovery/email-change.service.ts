import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuthService } from '../auth/auth.service';
import type { ClientInfo } from '../common/request-meta';
import { badUserInput, emailTaken } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import type { Viewer } from '../identity/viewer';
import type { RateLimitService } from '../limits/rate-limit.service';
import type { MailService } from '../mail/mail.service';
import { maskEmail } from '../mail/mask';
import { parseEmail } from '../users/email';
import { emailSkeleton, mixedScriptProblem } from '../users/lookalike';
import { User } from '../users/user.entity';
import { LinkPurpose } from './email-token.entity';
import type { LinkTokenService } from './link-token.service';

const FIELD = 'newEmail';

export interface EmailChangeRequest {
  newEmail: string;
  /** The step-up: the current password, or nothing when the session started within REAUTH_WINDOW. */
  currentPassword?: string | null;
}

/**
 * Changing the account's address: requested by the signed-in user (with a step-up), confirmed from the
 * new address. The address changes only on confirmation, and only if it is still free then.
 *
 * Sessions are kept on confirmation: the request was proven by the password or a recent sign-in, the
 * address is not what a session proves, and if someone else made the change, ending every session would
 * take from the owner the one foothold they have left (changing it back), while the new address would
 * give the other party a password reset anyway. A password change or reset, which the notice to the old
 * address recommends, ends the pending change's link (and every session).
 */
export class EmailChangeService {
  constructor(
    private readonly links: LinkTokenService,
    private readonly mail: MailService,
    private readonly limits: RateLimitService,
    private readonly events: SecurityEventService,
    private readonly auth: AuthService,
  ) {}

  async request(em: EntityManager, viewer: Viewer, input: EmailChangeRequest, client: ClientInfo): Promise<boolean> {
    await this.limits.consumeIp('requestEmailChange', client.ip);
    this.mail.assertEnabled();
    // First: a stolen access token alone learns nothing here, not even whether an address is taken.
    await this.auth.stepUp(em, viewer, input.currentPassword, client, 'requestEmailChange');
    const user = await em.findOneOrFail(User, viewer.user.id, { refresh: true });
    const newEmail = this.parseNewEmail(input.newEmail, user.email);
    await this.limits.consumeMailAddress(newEmail);
    // Cheap early answer; confirmEmailChange decides under the unique indexes.
    if (await this.taken(em, newEmail, user.id)) throw emailTaken(FIELD);
    await em.transactional(async (tx) => {
      const link = await this.links.issue(tx, { userId: user.id, purpose: LinkPurpose.CHANGE_EMAIL, email: user.email, newEmail });
      this.mail.enqueue(tx, {
        to: newEmail,
        template: 'confirmEmailChange',
        data: { link: link.url, validMinutes: link.validMinutes, newEmail },
        userId: user.id,
        sendBefore: link.expiresAt,
      });
      this.mail.enqueue(tx, { to: user.email, template: 'emailChangeRequested', data: { newEmailMasked: maskEmail(newEmail) }, userId: user.id });
    });
    this.mail.wake();
    await this.events.record({
      type: SecurityEventType.EMAIL_CHANGE_REQUESTED,
      userId: user.id,
      sessionId: viewer.sessionId,
      client,
      details: { newEmail: maskEmail(newEmail) },
    });
    return true;
  }

  /**
   * No sign-in needed (the link may be opened on another device). Changes the address if the account still
   * has the one the change was requested from and the new one is still free; the new address is verified
   * by this very link. Every other link of the account ends (they were sent to the old address).
   */
  async confirm(em: EntityManager, token: string, client: ClientInfo): Promise<User> {
    await this.limits.consumeIp('confirmEmailChange', client.ip);
    let oldEmail = '';
    let user: User;
    try {
      user = await em.transactional(async (tx) => {
        const claimed = await this.links.claim(tx, token, LinkPurpose.CHANGE_EMAIL);
        const current = claimed.user;
        const newEmail = claimed.token.newEmail!;
        if (await this.taken(tx, newEmail, current.id)) throw emailTaken(FIELD);
        oldEmail = current.email;
        current.email = newEmail;
        current.emailSkeleton = emailSkeleton(newEmail);
        current.emailVerifiedAt = new Date();
        await this.links.invalidateAll(tx, current.id);
        claimed.token.usedAt = new Date();
        // Written now, so that a unique index refusing the address (registered meanwhile) fails here,
        // before the notice is queued; the whole transaction then rolls back.
        await tx.flush();
        this.mail.enqueue(tx, { to: oldEmail, template: 'emailChanged', data: { newEmailMasked: maskEmail(newEmail) }, userId: current.id });
        return current;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw emailTaken(FIELD);
      throw error;
    }
    this.mail.wake();
    await this.events.record({
      type: SecurityEventType.EMAIL_CHANGED,
      userId: user.id,
      client,
      details: { from: maskEmail(oldEmail), to: maskEmail(user.email) },
    });
    return user;
  }

  /** Validated like register's address (mixed scripts refused), and not the current one. */
  private parseNewEmail(raw: string, current: string): string {
    const parsed = parseEmail(raw);
    if (!parsed.ok) throw badUserInput(FIELD, parsed.message);
    const mixed = mixedScriptProblem(parsed.email);
    if (mixed) throw badUserInput(FIELD, mixed);
    if (parsed.email === current) throw badUserInput(FIELD, 'This is already your email address.');
    return parsed.email;
  }

  /** Another account has the address, or one that looks like it (the answer does not say which). */
  private async taken(em: EntityManager, email: string, self: string): Promise<boolean> {
    const alike = { $or: [{ email }, { emailSkeleton: emailSkeleton(email) }], id: { $ne: self } };
    return (await em.count(User, alike)) > 0;
  }
}
