import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { User } from '../users/user.entity';
import { ChallengePurpose, WebAuthnChallenge } from './webauthn-challenge.entity';

export const CHALLENGE_TTL_SECONDS = 5 * 60;

export const hashChallenge = (challenge: string): string => createHash('sha256').update(challenge).digest('hex');

/** The challenges handed out: stored by id and hash, spent once (a conditional update), 5 minutes each (src/jobs/housekeeping.ts deletes them once used or expired). */
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
   * Spends the challenge the signed client data names: it must be of `purpose`, match `where` (its id, or
   * its user), be unused and unexpired. One conditional update, in `em`'s transaction when it has one: of
   * two responses to one challenge sent at once, the second waits for the first's row lock, then finds the
   * challenge used. Undefined when any of that fails.
   */
  async spend(
    em: EntityManager,
    purpose: ChallengePurpose,
    challenge: string,
    where: { id: string } | { userId: string },
  ): Promise<WebAuthnChallenge | undefined> {
    const [sql, key] = 'id' in where ? [SPEND_BY_ID, where.id] : [SPEND_BY_USER, where.userId];
    const now = new Date();
    const [row] = await em.execute<Record<string, unknown>[]>(sql, [now, hashChallenge(challenge), purpose, now, key]);
    return row ? em.map(WebAuthnChallenge, row) : undefined;
  }
}

const SPEND = `update webauthn_challenges set used_at = ?
  where challenge_hash = ? and purpose = ? and used_at is null and expires_at > ? and`;
const SPEND_BY_ID = `${SPEND} id = ? returning *`;
const SPEND_BY_USER = `${SPEND} user_id = ? returning *`;
