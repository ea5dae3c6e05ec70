import type { AbstractSqlConnection } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../common/request-meta';
import { AuthReason } from '../errors/codes';
import { unauthenticated } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import type { AccessClaims } from '../tokens/access-claims';
import type { TokenService } from '../tokens/token.service';
import type { AuthCache } from './auth-cache';
import type { Viewer } from './viewer';
import { toViewerUser, userColumnsSql, userRowOf, type UserRow } from './viewer-row';

// One round trip answers everything an authenticated request must know: the user, whether the token's
// jti was revoked, and the state of its session.
const VIEWER_SQL = `
select ${userColumnsSql('u')},
       s.id as session_id, s.revoked_at as session_revoked_at, s.expires_at as session_expires_at,
       exists (select 1 from revoked_tokens r where r.jti = ?) as token_revoked
from users u left join sessions s on s.id = ? and s.user_id = u.id
where u.id = ?`;

// Timestamps arrive as text, as in UserRow.
interface ViewerRow extends UserRow {
  session_id: string | null;
  session_revoked_at: string | null;
  session_expires_at: string | null;
  token_revoked: boolean;
}

/**
 * Turns a bearer token into the request's viewer, or the precise reason it cannot. Fails closed.
 * A token seen before is answered from the AuthCache (no database round trip) while the cache is trusted.
 */
export class ViewerService {
  constructor(
    private readonly tokens: TokenService,
    private readonly events: SecurityEventService,
    // The connection, not an EntityManager: this read is not a unit of work and needs no identity map.
    private readonly connection: AbstractSqlConnection,
    private readonly cache: AuthCache | undefined,
  ) {}

  async resolve(token: string, client: ClientInfo): Promise<Viewer> {
    const claims = this.tokens.verify(token);
    const cached = this.cache?.lookup(claims.jti, claims.sid, claims.sub);
    if (cached) {
      if (cached.session.expiresAt <= Date.now()) throw unauthenticated(AuthReason.TOKEN_EXPIRED);
      return viewer(cached.user, claims);
    }
    const generation = this.cache?.generation ?? 0;
    const [row] = await this.connection.execute<ViewerRow[]>(VIEWER_SQL, [claims.jti, claims.sid, claims.sub]);
    if (!row) throw unauthenticated(AuthReason.TOKEN_INVALID);
    if (row.token_revoked || row.session_revoked_at) {
      await this.events.record({
        type: SecurityEventType.REVOKED_TOKEN_REUSE,
        userId: row.id,
        sessionId: claims.sid,
        client,
        details: { jti: claims.jti },
      });
      throw unauthenticated(AuthReason.TOKEN_REVOKED);
    }
    // No such session for this user: purged long after its end, or never ours.
    if (!row.session_id || !row.session_expires_at) throw unauthenticated(AuthReason.TOKEN_INVALID);
    if (row.disabled_at) throw unauthenticated(AuthReason.TOKEN_REVOKED);
    const session = { userId: row.id, expiresAt: Date.parse(row.session_expires_at) };
    if (session.expiresAt <= Date.now()) throw unauthenticated(AuthReason.TOKEN_EXPIRED);
    const user = userRowOf(row);
    this.cache?.store(generation, claims.jti, row.session_id, session, user);
    return viewer(user, claims);
  }
}

function viewer(row: UserRow, claims: AccessClaims): Viewer {
  return { user: toViewerUser(row), claims, sessionId: claims.sid };
}
