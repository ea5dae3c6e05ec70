import type { EntityManager } from '@mikro-orm/postgresql';
import { toString as qrSvg } from 'qrcode';
import type { ClientInfo } from '../common/request-meta';
import { ErrorCode } from '../errors/codes';
import { AppError, badUserInput, notFound } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import type { Viewer } from '../identity/viewer';
import type { MailService } from '../mail/mail.service';
import { isUuid } from '../common/uuid';
import { User } from '../users/user.entity';
import { MAX_CODE_LENGTH, type Factors } from './factors';
import type { RecoveryCodes, TotpEnrollment } from './mfa.type';
import { TotpFactor } from './totp-factor.entity';
import { matchTotp, newTotpSecret, totpUri } from './totp';

/** What the account's owner (and an admin) can do with its second factor. */
export class EnrollmentService {
  constructor(
    private readonly factors: Factors,
    private readonly events: SecurityEventService,
    private readonly mail: MailService,
    private readonly issuer: string,
  ) {}

  /**
   * A new pending secret, replacing any earlier pending one (an enrollment that was never confirmed).
   * MFA_ALREADY_ENABLED while a confirmed factor exists: replacing it takes disableTotp, a step-up.
   */
  async start(em: EntityManager, viewer: Viewer): Promise<TotpEnrollment> {
    const userId = viewer.user.id;
    if (await this.factors.confirmed(em, userId)) throw new AppError(ErrorCode.MFA_ALREADY_ENABLED);
    const secret = newTotpSecret();
    const secretSealed = this.factors.seal(userId, secret);
    await em.transactional(async (tx) => {
      await tx.nativeDelete(TotpFactor, { user: userId, confirmedAt: null });
      tx.create(TotpFactor, { user: userId, secretSealed });
    });
    const otpauthUri = totpUri(secret, this.issuer, viewer.user.email);
    return { secret, otpauthUri, qrCodeSvg: await qrSvg(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
  }

  /** The first code from the app turns the pending secret on and makes the recovery codes (shown once). */
  async confirm(em: EntityManager, viewer: Viewer, code: string, client: ClientInfo): Promise<RecoveryCodes> {
    const userId = viewer.user.id;
    if (code.length > MAX_CODE_LENGTH) throw badUserInput('code', 'Enter the 6-digit code your app shows.');
    const codes = await em.transactional(async (tx) => {
      if (await this.factors.confirmed(tx, userId)) throw new AppError(ErrorCode.MFA_ALREADY_ENABLED);
      const pending = await tx.findOne(TotpFactor, { user: userId, confirmedAt: null }, { refresh: true });
      if (!pending) throw badUserInput('code', 'Start an enrollment first (startTotpEnrollment).');
      const step = matchTotp(this.factors.secretOf(pending, userId), code.replace(/\s/g, ''), this.factors.clock());
      if (step === undefined) throw badUserInput('code', 'This code does not match. Check the time on your device and enter the current code.');
      pending.confirmedAt = new Date();
      // The code that confirmed it is spent too.
      pending.lastUsedStep = String(step);
      return this.factors.replaceRecoveryCodes(tx, userId);
    });
    await this.events.record({ type: SecurityEventType.MFA_ENROLLED, userId, sessionId: viewer.sessionId, client, details: { method: 'TOTP' } });
    return { codes, remaining: codes.length };
  }

  async disable(em: EntityManager, viewer: Viewer, client: ClientInfo): Promise<boolean> {
    const userId = viewer.user.id;
    const removed = await em.transactional((tx) => this.factors.removeAll(tx, userId));
    if (!removed) throw new AppError(ErrorCode.MFA_NOT_ENABLED);
    await this.events.record({ type: SecurityEventType.MFA_DISABLED, userId, sessionId: viewer.sessionId, client });
    return true;
  }

  async regenerate(em: EntityManager, viewer: Viewer, client: ClientInfo): Promise<RecoveryCodes> {
    const userId = viewer.user.id;
    const codes = await em.transactional(async (tx) => {
      if (!(await this.factors.confirmed(tx, userId))) throw new AppError(ErrorCode.MFA_NOT_ENABLED);
      return this.factors.replaceRecoveryCodes(tx, userId);
    });
    await this.events.record({
      type: SecurityEventType.MFA_ENROLLED,
      userId,
      sessionId: viewer.sessionId,
      client,
      details: { recoveryCodesRegenerated: true },
    });
    return { codes, remaining: codes.length };
  }

  /**
   * ADMIN: removes the user's factors (a lost phone and lost codes), records it, and mails the user a
   * notice in the same transaction when mail exists. MFA_NOT_ENABLED when there was nothing to remove.
   */
  async reset(em: EntityManager, admin: Viewer, id: string, client: ClientInfo): Promise<User> {
    if (!isUuid(id)) throw notFound();
    const user = await em.transactional(async (tx) => {
      const target = await tx.findOne(User, id.toLowerCase());
      if (!target) throw notFound();
      if (!(await this.factors.removeAll(tx, target.id))) throw new AppError(ErrorCode.MFA_NOT_ENABLED);
      this.mail.enqueue(tx, {
        to: target.email,
        template: 'secondFactorReset',
        data: { at: new Date().toISOString() },
        userId: target.id,
      });
      return target;
    });
    this.mail.wake();
    await this.events.recordByAdmin(SecurityEventType.MFA_RESET_BY_ADMIN, admin, user.id, client);
    return user;
  }

  enabled(em: EntityManager, userId: string): Promise<boolean> {
    return this.factors.anyConfirmed(em, userId);
  }
}
