import type { EntityManager } from '@mikro-orm/postgresql';
import { deleteInBatches } from '../db/batch-delete';
import type { AccessClaims } from './access-claims';
import { RevokedToken } from './revoked-token.entity';

/** The revoked-token list: written by logout, purged on a schedule (read by ViewerService's one query). */
export class RevocationService {
  constructor(private readonly clockToleranceSeconds: number) {}

  /** Idempotent: revoking a revoked token changes nothing. */
  async revoke(em: EntityManager, claims: AccessClaims): Promise<void> {
    await em
      .createQueryBuilder(RevokedToken)
      .insert({ jti: claims.jti, userId: claims.sub, expiresAt: new Date(claims.exp * 1000), revokedAt: new Date() })
      .onConflict('jti')
      .ignore()
      .execute();
  }

  /**
   * Deletes revocations of tokens that can no longer be presented (past `exp` plus the clock tolerance),
   * in batches so no single statement holds locks for long. Returns how many rows went.
   */
  async purgeExpired(em: EntityManager, batchSize = 1000, now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.clockToleranceSeconds * 1000);
    return deleteInBatches(em, 'revoked_tokens', 'jti', 'expires_at < ?', [cutoff], batchSize);
  }
}
