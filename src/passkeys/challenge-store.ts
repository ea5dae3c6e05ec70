import { createHash } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { User } from '../users/user.entity';
import { ChallengePurpose, WebAuthnChallenge } from './webauthn-challenge.entity';

export const CHALLENGE_TTL_SECONDS = 5 * 60;

export const hashChallenge = (challenge: string): string => createHash('sha256').update(challenge).digest('hex');

/** The challenges handed out: stored by id and hash, spent once under their row lock, 5 minutes each (src/jobs/housekeeping.ts deletes them once used or expired). */
export class ChallengeStore {
  /** Records a challenge @simplewebauthn/server generated (base64url, 32 random bytes). */
  async save(em: EntityManager, purpose: ChallengePurpose, challenge: string, user: User | null): Promise<WebAuthnChallenge> {
    const record = em.create(WebAuthnChallenge, {
      purpose,
      user,
      challengeHash: hashChallenge(challenge),
      expiresAt: new Date(Date.now() + CHALLENGE_TTL_SECONDS * 1000),
    });
    await em.flush();
    return record;
  }

  /**
   * Spends the challenge the signed client data names, in `tx`: it must be of `purpose`, match `where`
   * (its id, its user), be unused and unexpired. Locked, so of two responses to one challenge sent at once
   * only one gets it. Undefined when any of that fails.
   */
  async spend(
    tx: EntityManager,
    purpose: ChallengePurpose,
    challenge: string,
    where: { id?: string; userId?: string },
  ): Promise<WebAuthnChallenge | undefined> {
    const found = await tx.findOne(
      WebAuthnChallenge,
      {
        challengeHash: hashChallenge(challenge),
        purpose,
        usedAt: null,
        ...(where.id ? { id: where.id } : {}),
        ...(where.userId ? { user: where.userId } : {}),
      },
      { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
    );
    if (!found || found.expiresAt.getTime() <= Date.now()) return undefined;
    found.usedAt = new Date();
    await tx.flush();
    return found;
  }
}
