import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../common/request-meta';
import { isUuid } from '../common/uuid';
import { notFound } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import type { Viewer } from '../identity/viewer';
import type { Session } from '../sessions/session.entity';
import { RevokeReason, type SessionService } from '../sessions/session.service';
import type { UserService } from '../users/user.service';

/**
 * An ADMIN's view of another user's sessions, and their end. A revocation goes the way of logout and
 * revokeSession (SessionService): committed before this returns, so every instance refuses the
 * session's access tokens (TOKEN_REVOKED) and its refresh token (SESSION_REVOKED) from then on, and
 * the live channel closes its sockets (reason REVOKED_BY_ADMIN). Recorded as SESSION_REVOKED on the
 * user, with the acting admin in `details.by` (which the user's own history leaves out).
 */
export class UserSessionsService {
  constructor(
    private readonly sessions: SessionService,
    private readonly users: UserService,
    private readonly events: SecurityEventService,
  ) {}

  /** The user's active sessions, last opened first. NOT_FOUND for no such user. */
  async list(em: EntityManager, userId: string): Promise<Session[]> {
    const user = await this.require(em, userId);
    return this.sessions.listActive(em, user.id, { newestFirst: true });
  }

  /** Ends one of the user's sessions. NOT_FOUND for no such user, or a session that is not theirs. */
  async revoke(em: EntityManager, admin: Viewer, userId: string, sessionId: string, client: ClientInfo): Promise<boolean> {
    const user = await this.require(em, userId);
    if (!isUuid(sessionId)) throw notFound();
    const id = sessionId.toLowerCase();
    if (!(await this.sessions.revokeOne(em, user.id, id, RevokeReason.REVOKED_BY_ADMIN))) throw notFound();
    await this.record(admin, user.id, client, { revokedSessionId: id });
    return true;
  }

  /** Ends every live session of the user; returns how many ended. NOT_FOUND for no such user. */
  async revokeAll(em: EntityManager, admin: Viewer, userId: string, client: ClientInfo): Promise<number> {
    const user = await this.require(em, userId);
    const ended = await this.sessions.revokeAll(em, user.id, RevokeReason.REVOKED_BY_ADMIN);
    await this.record(admin, user.id, client, { scope: 'ALL', sessions: ended });
    return ended;
  }

  private async require(em: EntityManager, userId: string) {
    const user = await this.users.findById(em, userId);
    if (!user) throw notFound();
    return user;
  }

  private record(admin: Viewer, userId: string, client: ClientInfo, details: Record<string, unknown>): Promise<void> {
    return this.events.record({
      type: SecurityEventType.SESSION_REVOKED,
      userId,
      sessionId: admin.sessionId,
      client,
      details: { ...details, by: admin.user.id },
    });
  }
}
