import { createHash, randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuthPayload } from '../auth/auth.payload';
import type { AuthService } from '../auth/auth.service';
import { MfaMethod, type MfaChallenge } from '../auth/login-result';
import type { SecondFactor } from '../auth/second-factor';
import type { ClientInfo } from '../common/request-meta';
import { AuthReason } from '../errors/codes';
import { badUserInput, unauthenticated } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import type { Viewer } from '../identity/viewer';
import type { RateLimitService } from '../limits/rate-limit.service';
import { User } from '../users/user.entity';
import { maxCodeLength, type Factors, type ProvenFactor } from './factors';
import { PasskeyCloneSuspected } from './passkey-factor';
import { MfaChallengeRecord } from './mfa-challenge.entity';

export const CHALLENGE_TTL_SECONDS = 5 * 60;
/** Wrong codes a challenge takes before it ends (MFA_FAILURES_REPEATED is recorded then). */
export const MAX_ATTEMPTS = 5;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const passwordTag = (passwordHash: string) => createHash('sha256').update(passwordHash).digest('base64url');
// 256 bits, base64url: 43 characters.
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

// One statement, so concurrent wrong codes each count: the attempt, and the end of the challenge at the last one.
const COUNT_WRONG_SQL = `update mfa_challenges set attempts = attempts + 1,
  used_at = case when attempts + 1 >= ? then now() else used_at end
  where id = ? and used_at is null returning attempts`;

/** A wrong code, thrown inside the transaction so nothing it did is kept. */
class WrongCode extends Error {}

/**
 * The second step of a sign-in (verifyMfa) and the proof of reauthenticate. Implements what login asks of
 * the second factor (auth/second-factor.ts).
 */
export class ChallengeService implements SecondFactor {
  constructor(
    private readonly factors: Factors,
    private readonly auth: AuthService,
    private readonly limits: RateLimitService,
    private readonly events: SecurityEventService,
  ) {}

  async enrolled(em: EntityManager, userId: string): Promise<boolean> {
    return this.factors.anyConfirmed(em, userId);
  }

  async challenge(em: EntityManager, user: User, client: ClientInfo): Promise<MfaChallenge> {
    const challengeToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + CHALLENGE_TTL_SECONDS * 1000);
    em.create(MfaChallengeRecord, {
      user,
      tokenHash: hashToken(challengeToken),
      passwordTag: passwordTag(user.passwordHash),
      ip: client.ip,
      userAgent: client.userAgent,
      expiresAt,
    });
    await em.flush();
    // An account with passkeys may answer with one of them: its options come with the challenge.
    const passkeyOptions = await this.factors.passkeys.options(em, user.id);
    const methods = [MfaMethod.TOTP, MfaMethod.RECOVERY_CODE, ...(passkeyOptions ? [MfaMethod.PASSKEY] : [])];
    return { challengeToken, methods, expiresAt, passkeyOptions };
  }

  /**
   * Completes a sign-in. Counted per IP (RATE_LIMIT_VERIFY_MFA_IP), per account like a password (before the
   * code is checked, so parallel guesses cannot slip past) and per challenge (MAX_ATTEMPTS). The challenge
   * works only from the client that logged in: a token that leaked to another client is worth nothing.
   */
  async verify(em: EntityManager, input: { challengeToken: string; method: MfaMethod; code: string }, client: ClientInfo): Promise<AuthPayload> {
    await this.limits.consumeIp('verifyMfa', client.ip);
    const max = maxCodeLength(input.method);
    if (input.code.length > max) throw badUserInput('code', `A code has at most ${max} characters.`);
    if (!TOKEN_FORMAT.test(input.challengeToken)) throw unauthenticated(AuthReason.MFA_CHALLENGE_INVALID);
    const found = await em.findOne(MfaChallengeRecord, { tokenHash: hashToken(input.challengeToken) }, { populate: ['user'] });
    if (!found || found.usedAt || found.ip !== client.ip || found.userAgent !== client.userAgent)
      throw unauthenticated(AuthReason.MFA_CHALLENGE_INVALID);
    const userId = found.user.id;
    if (found.expiresAt.getTime() <= Date.now()) {
      await this.events.record({ type: SecurityEventType.MFA_CHALLENGE_EXPIRED, userId, client });
      throw unauthenticated(AuthReason.MFA_CHALLENGE_EXPIRED);
    }
    await this.limits.consumeAccountAttempt(found.user.email, client.ip);
    let proven: ProvenFactor | undefined;
    try {
      const payload = await this.auth.signInWithSecondFactor(em, userId, client, async (tx) => {
        // Spent under its row lock: of two right codes sent at once, one signs in and the other finds it used.
        const challenge = await tx.findOneOrFail(MfaChallengeRecord, found.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        if (challenge.usedAt) throw unauthenticated(AuthReason.MFA_CHALLENGE_INVALID);
        // The password changed (or was reset) since the login: what the challenge stood for is gone.
        const { passwordHash } = await tx.findOneOrFail(User, userId, { refresh: true });
        if (passwordTag(passwordHash) !== challenge.passwordTag) throw unauthenticated(AuthReason.MFA_CHALLENGE_INVALID);
        proven = await this.factors.prove(tx, userId, input.method, input.code);
        if (!proven) throw new WrongCode();
        challenge.usedAt = new Date();
        await tx.flush();
        return proven.amr;
      });
      await this.recordRecoveryCode(userId, proven, client);
      return payload;
    } catch (error) {
      if (error instanceof PasskeyCloneSuspected) {
        await this.events.record({ type: SecurityEventType.PASSKEY_CLONE_SUSPECTED, userId, client, details: error.details });
      } else if (!(error instanceof WrongCode)) throw error;
      return this.wrongCode(em, found.id, userId, input.method, client);
    }
  }

  /**
   * The viewer proves who they are again: the password, and the second factor when the account has one.
   * The same session then records the new proof and gets fresh tokens.
   */
  async reauthenticate(
    em: EntityManager,
    viewer: Viewer,
    input: { password: string; method?: MfaMethod | null; code?: string | null },
    client: ClientInfo,
  ): Promise<AuthPayload> {
    await this.limits.consumeIp('reauthenticate', client.ip);
    const userId = viewer.user.id;
    await this.auth.verifyCurrentPassword(em, viewer, input.password, client, 'reauthenticate', 'password');
    let amr: readonly string[] = ['pwd'];
    let proven: ProvenFactor | undefined;
    if (await this.enrolled(em, userId)) {
      if (!input.method || !input.code) throw badUserInput('code', 'This account has a second factor: send method and code too.');
      const max = maxCodeLength(input.method);
      if (input.code.length > max) throw badUserInput('code', `A code has at most ${max} characters.`);
      const { method, code } = input;
      proven = await em
        .transactional((tx) => this.factors.prove(tx, userId, method, code))
        .catch(async (error: unknown) => {
          if (!(error instanceof PasskeyCloneSuspected)) throw error;
          await this.events.record({ type: SecurityEventType.PASSKEY_CLONE_SUSPECTED, userId, client, details: error.details });
          return undefined;
        });
      if (!proven) {
        await this.events.record({
          type: SecurityEventType.MFA_FAILED,
          userId,
          sessionId: viewer.sessionId,
          client,
          details: { method, via: 'reauthenticate' },
        });
        throw unauthenticated(AuthReason.MFA_CODE_INVALID);
      }
      amr = proven.amr;
    }
    await this.auth.clearAttempts(viewer.user.email, client);
    const payload = await this.auth.reauthenticated(em, viewer, amr, client);
    await this.recordRecoveryCode(userId, proven, client);
    return payload;
  }

  /** A spent recovery code is recorded with how many remain (a low count is the owner's cue to make new ones). */
  private async recordRecoveryCode(userId: string, proven: ProvenFactor | undefined, client: ClientInfo): Promise<void> {
    if (proven?.method !== MfaMethod.RECOVERY_CODE) return;
    await this.events.record({
      type: SecurityEventType.RECOVERY_CODE_USED,
      userId,
      client,
      details: { remaining: proven.recoveryCodesRemaining ?? 0 },
    });
  }

  /** Counts the wrong code on the challenge (ending it at MAX_ATTEMPTS) and records it; always throws. */
  private async wrongCode(em: EntityManager, challengeId: string, userId: string, method: MfaMethod, client: ClientInfo): Promise<never> {
    const [row] = await em.getConnection().execute<{ attempts: number }[]>(COUNT_WRONG_SQL, [MAX_ATTEMPTS, challengeId]);
    const attempts = row?.attempts;
    await this.events.record({ type: SecurityEventType.MFA_FAILED, userId, client, details: { method, attempt: attempts ?? null } });
    if (attempts === MAX_ATTEMPTS) {
      await this.events.record({ type: SecurityEventType.MFA_FAILURES_REPEATED, userId, client, details: { attempts } });
    }
    throw unauthenticated(AuthReason.MFA_CODE_INVALID);
  }
}
