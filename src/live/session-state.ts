import type { AbstractSqlConnection } from '@mikro-orm/postgresql';
import type { Role } from '../users/role';

/** What decides whether a socket may stay open, read fresh from the database. */
export interface SessionState {
  id: string;
  userId: string;
  /** Why it ended (its revoked reason, EXPIRED, USER_DISABLED or TOKEN_REVOKED); null while it is live. */
  endedBecause: string | null;
  /** The user's role now. */
  role: Role;
  at: Date;
}

// One round trip for a batch: the sessions named, and those of the users named that ended since `since`.
// Read-only, as the viewer check (identity/viewer.service.ts) reads the same tables for each request.
const STATE_SQL = `
select s.id, s.user_id, s.revoked_at, s.revoked_reason, s.expires_at, u.disabled_at, u.role
from sessions s join users u on u.id = s.user_id
where s.id = any(?::uuid[]) or (s.user_id = any(?::uuid[]) and s.revoked_at >= ?)`;

const REVOKED_JTIS_SQL = `select jti from revoked_tokens where jti = any(?::uuid[])`;

interface StateRow {
  id: string;
  user_id: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  expires_at: string;
  disabled_at: string | null;
  role: Role;
}

export class SessionStateReader {
  constructor(private readonly connection: () => AbstractSqlConnection) {}

  /**
   * The state of `sessionIds`, and of the sessions of `userIds` revoked at or after `since` (to tell a
   * user's sockets about their other sessions).
   */
  async read(sessionIds: string[], userIds: string[], since: Date): Promise<SessionState[]> {
    if (sessionIds.length === 0 && userIds.length === 0) return [];
    const rows = await this.connection().execute<StateRow[]>(STATE_SQL, [pgArray(sessionIds), pgArray(userIds), since]);
    const now = Date.now();
    return rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      role: row.role,
      endedBecause: row.revoked_at
        ? (row.revoked_reason ?? 'REVOKED')
        : row.disabled_at
          ? 'USER_DISABLED'
          : Date.parse(row.expires_at) <= now
            ? 'EXPIRED'
            : null,
      at: new Date(row.revoked_at ? Date.parse(row.revoked_at) : now),
    }));
  }

  /** Which of `jtis` are revoked (a logout revokes the token it was made with). */
  async revokedTokens(jtis: string[]): Promise<Set<string>> {
    if (jtis.length === 0) return new Set();
    const rows = await this.connection().execute<{ jti: string }[]>(REVOKED_JTIS_SQL, [pgArray(jtis)]);
    return new Set(rows.map((row) => row.jti));
  }
}

/** One bound parameter holding a list (knex would spread a JS array into one parameter per item). */
const pgArray = (values: string[]): string => `{${values.map((value) => `"${value.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
