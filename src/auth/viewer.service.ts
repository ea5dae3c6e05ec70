import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../common/request-meta';
import { AuthReason } from '../errors/codes';
import { unauthenticated } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import { User } from '../users/user.entity';
import type { TokenService } from './token.service';
import type { Viewer } from './viewer';

// One round trip answers everything an authenticated request must know: the user, whether the token's
// jti was revoked, and the state of its session.
const VIEWER_SQL = `
select u.id, u.email, u.password_hash, u.role, u.created_at, u.updated_at, u.disabled_at,
       s.id as session_id, s.revoked_at as session_revoked_at, s.expires_at as session_expires_at,
       exists (select 1 from revoked_tokens r where r.jti = ?) as token_revoked
from users u left join sessions s on s.id = ? and s.user_id = u.id
where u.id = ?`;

// Timestamps arrive as text: MikroORM configures the driver not to parse them.
interface ViewerRow {
  id: string;
  email: string;
  password_hash: string;
  role: string;
  created_at: string;
  updated_at: string;
  disabled_at: string | null;
  session_id: string | null;
  session_revoked_at: string | null;
  session_expires_at: string | null;
  token_revoked: boolean;
}

/** Turns a bearer token into the request's viewer, or the precise reason it cannot. Fails closed. */
export class ViewerService {
  constructor(
    private readonly tokens: TokenService,
    private readonly events: SecurityEventService,
  ) {}

  async resolve(em: EntityManager, token: string, client: ClientInfo): Promise<Viewer> {
    const claims = this.tokens.verify(token);
    const [row] = await em.getConnection().execute<ViewerRow[]>(VIEWER_SQL, [claims.jti, claims.sid, claims.sub]);
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
    if (!row.session_id) throw unauthenticated(AuthReason.TOKEN_INVALID);
    if (row.disabled_at) throw unauthenticated(AuthReason.TOKEN_REVOKED);
    if (row.session_expires_at && Date.parse(row.session_expires_at) <= Date.now()) {
      throw unauthenticated(AuthReason.TOKEN_EXPIRED);
    }
    const { id, email, password_hash, role, created_at, updated_at, disabled_at } = row;
    const user = em.map(User, { id, email, password_hash, role, created_at, updated_at, disabled_at } as never);
    return { user, claims, sessionId: row.session_id };
  }
}
