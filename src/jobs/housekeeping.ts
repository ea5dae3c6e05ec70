import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type { RevocationService } from '../tokens/revocation.service';
import type { Config } from '../config';
import { deleteInBatches } from '../db/batch-delete';
import { loggableError } from '../db/driver-errors';
import { repeat, type StopJob } from './job';

export interface PurgeResult {
  revocations: number;
  sessions: number;
  events: number;
  rateLimits: number;
  mail: number;
  emailTokens: number;
  mfaChallenges: number;
  webauthnChallenges: number;
}

/**
 * Deletes what can no longer matter: revocations of expired tokens, sessions that ended longer ago than
 * any of their access tokens can live (their refresh tokens go with them), security events past
 * the retention period, sent or failed mail past MAIL_OUTBOX_RETENTION, and used or long-expired link
 * tokens and sign-in challenges. Nothing that could still be presented and accepted is removed.
 */
export class Housekeeping {
  constructor(
    private readonly config: Pick<Config, 'jwt' | 'sessions' | 'securityEventRetentionSeconds' | 'mail'>,
    private readonly revocations: RevocationService,
  ) {}

  async purge(em: EntityManager, now = new Date()): Promise<PurgeResult> {
    const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
    // An access token of a session can outlive the session's end by its TTL (plus the clock tolerance).
    const tokenLife = this.config.jwt.accessTokenTtlSeconds + this.config.jwt.clockToleranceSeconds;
    const ended = ago(tokenLife);
    const idle = ago(this.config.sessions.idleTimeoutSeconds + tokenLife);
    return {
      revocations: await this.revocations.purgeExpired(em, 1000, now),
      sessions: await deleteInBatches(em, 'sessions', 'id', 'revoked_at < ? or expires_at < ? or last_used_at < ?', [ended, ended, idle]),
      events: await deleteInBatches(em, 'security_events', 'id', 'created_at < ?', [ago(this.config.securityEventRetentionSeconds)]),
      // Counters whose window has closed (rate_limits.expire is in Unix milliseconds).
      rateLimits: await deleteInBatches(em, 'rate_limits', 'key', 'expire < ?', [now.getTime()]),
      // Delivered or given-up mail (their data is already erased); a PENDING message is never purged.
      mail: await deleteInBatches(em, 'mail_outbox', 'id', "status <> 'PENDING' and created_at < ?", [ago(this.config.mail.outboxRetentionSeconds)]),
      // Link tokens once used (a used and an unknown token answer alike), and a day after they expired (until
      // then a late click is told "expired" rather than "invalid").
      emailTokens: await deleteInBatches(em, 'email_tokens', 'id', 'used_at is not null or expires_at < ?', [ago(86400)]),
      // Sign-in challenges a day after they expired (until then a late one is told "expired").
      mfaChallenges: await deleteInBatches(em, 'mfa_challenges', 'id', 'expires_at < ?', [ago(86400)]),
      // Passkey challenges once expired or used: either answers PASSKEY_CHALLENGE_INVALID, like an unknown one.
      webauthnChallenges: await deleteInBatches(em, 'webauthn_challenges', 'id', 'used_at is not null or expires_at < ?', [now]),
    };
  }

  /** Purges now and then every `intervalSeconds` (a job: see job.ts). Returns a function that stops the schedule. */
  schedule(orm: MikroORM, intervalSeconds: number, log: FastifyBaseLogger): StopJob {
    return repeat(intervalSeconds, () =>
      this.purge(orm.em.fork())
        .then((deleted) => {
          if (Object.values(deleted).some((count) => count > 0)) log.info({ deleted }, 'housekeeping purge');
        })
        .catch((error: unknown) => log.warn({ err: loggableError(error) }, 'housekeeping purge failed; will retry')),
    );
  }
}
