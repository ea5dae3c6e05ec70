import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../common/request-meta';
import type { Config } from '../config';
import { AuthReason } from '../errors/codes';
import { refreshTokenRefused, unauthenticated } from '../errors/errors';
import type { User } from '../users/user.entity';
import { RefreshToken } from './refresh-token.entity';
import { hashRefreshToken, isRefreshTokenFormat, newRefreshToken, type RotationKey } from './refresh-token';
import { Session } from './session.entity';

export interface SessionGrant {
  session: Session;
  user: User;
  refreshToken: string;
}

/** What a refresh came to: new tokens, or a detected reuse (the session is revoked by then). */
export type RotationOutcome = ({ kind: 'rotated' } & SessionGrant) | { kind: 'reused'; session: Session };

export const RevokeReason = {
  LOGOUT: 'LOGOUT',
  REVOKED_BY_USER: 'REVOKED_BY_USER',
  REVOKED_BY_ADMIN: 'REVOKED_BY_ADMIN',
  PASSWORD_CHANGED: 'PASSWORD_CHANGED',
  PASSWORD_RESET: 'PASSWORD_RESET',
  REFRESH_TOKEN_REUSE: 'REFRESH_TOKEN_REUSE',
  USER_DISABLED: 'USER_DISABLED',
} as const;

/** Sessions and their rotating refresh tokens. */
export class SessionService {
  constructor(
    private readonly options: Config['sessions'],
    private readonly rotation: RotationKey,
  ) {}

  /** When the session ends if nothing happens: the idle timeout or the absolute end, whichever is first. */
  endsAt(session: Session): Date {
    const idleEnd = session.lastUsedAt.getTime() + this.options.idleTimeoutSeconds * 1000;
    return new Date(Math.min(idleEnd, session.expiresAt.getTime()));
  }

  /** `amr`: how the user proved who they are (RFC 8176), kept on the session for every token it issues. */
  async start(em: EntityManager, user: User, client: ClientInfo, amr: readonly string[] = ['pwd']): Promise<SessionGrant> {
    const session = em.create(Session, {
      user,
      amr: [...amr],
      authenticatedAt: new Date(),
      expiresAt: new Date(Date.now() + this.options.absoluteLifetimeSeconds * 1000),
      ip: client.ip,
      userAgent: client.userAgent,
    });
    const refreshToken = newRefreshToken();
    em.create(RefreshToken, { tokenHash: hashRefreshToken(refreshToken), session });
    await em.flush();
    return { session, user, refreshToken };
  }

  /**
   * Exchanges a refresh token for a new one, atomically: the token row is locked, so concurrent refreshes
   * with one token queue up; the first rotates, the others (within the grace window) receive the same new
   * token, and a session never forks into two live refresh tokens. `accept` may refuse the session's user
   * by throwing, once the session's own checks have passed.
   */
  async rotate(em: EntityManager, presented: string, accept?: (user: User) => void): Promise<RotationOutcome> {
    if (!isRefreshTokenFormat(presented)) throw refreshTokenRefused(AuthReason.TOKEN_INVALID);
    return em.transactional(async (tx) => {
      const token = await tx.findOne(
        RefreshToken,
        { tokenHash: hashRefreshToken(presented) },
        { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
      );
      if (!token) throw refreshTokenRefused(AuthReason.TOKEN_INVALID);
      // Every refresh of a session, and every revocation, takes its turn on the session row.
      const session = await tx.findOneOrFail(Session, token.session.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      await tx.populate(session, ['user'], { refresh: true });
      const now = new Date();
      if (session.user.disabledAt) throw unauthenticated(AuthReason.USER_DISABLED);
      if (session.revokedAt) throw unauthenticated(AuthReason.SESSION_REVOKED);
      if (this.endsAt(session) <= now) throw unauthenticated(AuthReason.SESSION_EXPIRED);
      // The caller's own refusal (it throws), before anything rotates: REQUIRE_VERIFIED_EMAIL.
      accept?.(session.user);

      const child = this.rotation.childOf(presented);
      if (token.rotatedAt) {
        const current = await tx.findOne(RefreshToken, { tokenHash: hashRefreshToken(child) });
        const withinGrace = now.getTime() - token.rotatedAt.getTime() <= this.options.reuseGraceSeconds * 1000;
        if (!withinGrace || !current || current.rotatedAt) {
          session.revokedAt = now;
          session.revokedReason = RevokeReason.REFRESH_TOKEN_REUSE;
          return { kind: 'reused', session };
        }
      } else {
        token.rotatedAt = now;
        tx.create(RefreshToken, { tokenHash: hashRefreshToken(child), session });
      }
      session.lastUsedAt = now;
      return { kind: 'rotated', session, user: session.user, refreshToken: child };
    });
  }

  /**
   * The user proved who they are again within this session (reauthenticate): it records how and when,
   * and gives the session a new refresh token in place of its live one, which stops working (TOKEN_INVALID).
   */
  async reauthenticated(em: EntityManager, userId: string, sessionId: string, amr: readonly string[]): Promise<SessionGrant> {
    return em.transactional(async (tx) => {
      const session = await tx.findOne(Session, { id: sessionId, user: userId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!session || session.revokedAt) throw unauthenticated(AuthReason.SESSION_REVOKED);
      await tx.populate(session, ['user'], { refresh: true });
      const now = new Date();
      if (session.user.disabledAt) throw unauthenticated(AuthReason.USER_DISABLED);
      if (this.endsAt(session) <= now) throw unauthenticated(AuthReason.SESSION_EXPIRED);
      session.amr = [...amr];
      session.authenticatedAt = now;
      session.lastUsedAt = now;
      await tx.nativeDelete(RefreshToken, { session: session.id, rotatedAt: null });
      const refreshToken = newRefreshToken();
      tx.create(RefreshToken, { tokenHash: hashRefreshToken(refreshToken), session });
      return { session, user: session.user, refreshToken };
    });
  }

  /** Revokes one of the user's sessions. False when the user has no such session. */
  async revokeOne(em: EntityManager, userId: string, sessionId: string, reason: string): Promise<boolean> {
    const session = await em.findOne(Session, { id: sessionId, user: userId });
    if (!session) return false;
    if (!session.revokedAt) {
      session.revokedAt = new Date();
      session.revokedReason = reason;
      await em.flush();
    }
    return true;
  }

  /** Revokes every live session of the user, but `except`. Returns how many ended. */
  async revokeAll(em: EntityManager, userId: string, reason: string, except?: string): Promise<number> {
    return em.nativeUpdate(
      Session,
      { user: userId, revokedAt: null, ...(except ? { id: { $ne: except } } : {}) },
      { revokedAt: new Date(), revokedReason: reason },
    );
  }

  /** The user's sessions that can still be used, most recently used first (or, `newestFirst`, last opened first). */
  async listActive(em: EntityManager, userId: string, { newestFirst = false } = {}): Promise<Session[]> {
    const now = Date.now();
    return em.find(
      Session,
      {
        user: userId,
        revokedAt: null,
        expiresAt: { $gt: new Date(now) },
        lastUsedAt: { $gt: new Date(now - this.options.idleTimeoutSeconds * 1000) },
      },
      { orderBy: newestFirst ? { createdAt: 'desc', id: 'asc' } : { lastUsedAt: 'desc', id: 'asc' } },
    );
  }
}
