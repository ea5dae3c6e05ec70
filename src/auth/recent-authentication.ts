import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../identity/viewer';
import { Session } from '../sessions/session.entity';

/**
 * Whether the viewer proved who they are within the last `windowSeconds` (REAUTH_WINDOW), for a step-up
 * without the password. "Proved" is the start of the viewer's session: a login, register, password change
 * or reset opens one, and a refresh does not re-authenticate, so it does not count. The one place that
 * answers this: issue 13 replaces it with the access token's `auth_time`.
 */
export async function authenticatedWithin(em: EntityManager, viewer: Viewer, windowSeconds: number, now = Date.now()): Promise<boolean> {
  const session = await em.findOne(Session, { id: viewer.sessionId, user: viewer.user.id }, { fields: ['createdAt'] });
  return session !== null && now - session.createdAt.getTime() <= windowSeconds * 1000;
}
