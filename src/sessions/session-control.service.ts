import type { EntityManager } from '@mikro-orm/postgresql';
import type { RevocationService } from '../tokens/revocation.service';
import type { Viewer } from '../identity/viewer';
import type { ClientInfo } from '../common/request-meta';
import { isUuid } from '../common/uuid';
import { notFound } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import { LogoutScope } from './logout-scope';
import type { Session } from './session.entity';
import { RevokeReason, type SessionService } from './session.service';

/** What a signed-in user can do with their own sessions: see them, end one, log out. */
export class SessionControlService {
  constructor(
    private readonly sessions: SessionService,
    private readonly revocations: RevocationService,
    private readonly events: SecurityEventService,
  ) {}

  list(em: EntityManager, viewer: Viewer): Promise<Session[]> {
    return this.sessions.listActive(em, viewer.user.id);
  }

  /**
   * Ends the sessions of `scope`. The revocations are committed before this returns, and every request
   * checks them in the shared database, so no instance accepts the affected tokens afterwards.
   */
  async logout(em: EntityManager, viewer: Viewer, scope: LogoutScope, client: ClientInfo): Promise<void> {
    const userId = viewer.user.id;
    const ended = await em.transactional(async (tx) => {
      if (scope !== LogoutScope.OTHERS) await this.revocations.revoke(tx, viewer.claims);
      if (scope === LogoutScope.CURRENT) {
        return (await this.sessions.revokeOne(tx, userId, viewer.sessionId, RevokeReason.LOGOUT)) ? 1 : 0;
      }
      return this.sessions.revokeAll(tx, userId, RevokeReason.LOGOUT, scope === LogoutScope.OTHERS ? viewer.sessionId : undefined);
    });
    await this.events.record({
      type: SecurityEventType.SESSION_REVOKED,
      userId,
      sessionId: viewer.sessionId,
      client,
      details: { scope, sessions: ended },
    });
  }

  /** Ends one of the viewer's own sessions. Another user's session and no session look the same: NOT_FOUND. */
  async revoke(em: EntityManager, viewer: Viewer, sessionId: string, client: ClientInfo): Promise<void> {
    if (!isUuid(sessionId)) throw notFound();
    const found = await this.sessions.revokeOne(em, viewer.user.id, sessionId.toLowerCase(), RevokeReason.REVOKED_BY_USER);
    if (!found) throw notFound();
    await this.events.record({
      type: SecurityEventType.SESSION_REVOKED,
      userId: viewer.user.id,
      sessionId: viewer.sessionId,
      client,
      details: { revokedSessionId: sessionId.toLowerCase() },
    });
  }
}
