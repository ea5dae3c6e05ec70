import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import type { ClientInfo } from '../common/request-meta';
import type { Config } from '../config';
import { AuthReason } from '../errors/codes';
import { refreshTokenRefused, unauthenticated } from '../errors/errors';
import { User } from '../users/user.entity';
import { RefreshToken } from './refresh-token.entity';
import { hashRefreshToken, isRefreshTokenFormat, newRefreshToken, type RotationKey } from './refresh-token';
import { Session } from './session.entity';
import { rawQuery, rawTransaction, Sql } from '../db/raw-sql';

/** What a grant's tokens are made from: the session's id, how and when it was proven, and when it ends. */
export type SessionState = Pick<Session, 'id' | 'amr' | 'authenticatedAt' | 'lastUsedAt' | 'expiresAt' | 'revokedAt'>;

export interface SessionGrant<S extends SessionState = Session> {
  session: S;
  user: User;
  refreshToken: string;
}

/** What a refresh came to: new tokens, or a detected reuse (the session is revoked by then). */
export type RotationOutcome = ({ kind: 'rotated' } & SessionGrant<SessionState>) | { kind: 'reused'; sessionId: string; userId: string };

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
  endsAt(session: Pick<Session, 'lastUsedAt' | 'expiresAt'>): Date {
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
   * A login's session, in one statement, if the user row still holds `checkedHash` (the hash the password
   * was checked against, read before bcrypt ran) and is enabled: the row is read under a share lock, so a
   * password change or a disable that commits meanwhile wins (the row is read again at its latest version
   * and no longer matches), and one that starts now waits for this session to exist, so its revocation
   * covers it. The same guarantee as the checked path in AuthService.login (an ORM transaction), which
   * runs when this returns undefined and says why; the user comes back as that locked row.
   */
  async startIfUnchanged(
    em: EntityManager,
    userId: string,
    checkedHash: string,
    client: ClientInfo,
    amr: readonly string[],
  ): Promise<SessionGrant<SessionState> | undefined> {
    const now = new Date();
    const session: SessionState = {
      id: randomUUID(),
      amr: [...amr],
      authenticatedAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + this.options.absoluteLifetimeSeconds * 1000),
      revokedAt: null,
    };
    const refreshToken = newRefreshToken();
    const { rows } = await rawQuery(em, START_IF_UNCHANGED, [
      userId,
      checkedHash,
      session.id,
      now,
      session.expiresAt,
      client.ip,
      client.userAgent,
      em.getPlatform().marshallArray(session.amr),
      hashRefreshToken(refreshToken),
    ]);
    if (!rows[0]) return undefined;
    return { session, user: em.map(User, rows[0]), refreshToken };
  }

  /**
   * Exchanges a refresh token for a new one, atomically: the token row is locked, so concurrent refreshes
   * with one token queue up; the first rotates, the others (within the grace window) receive the same new
   * token, and a session never forks into two live refresh tokens. With `requireVerifiedEmail`, a user
   * whose address is not verified is refused (EMAIL_NOT_VERIFIED) once the session's own checks pass.
   *
   * Every refresh of every client runs this, so it is plain SQL, not the ORM (which took eight statements).
   * The usual case is one statement: it rotates the token only if it is live and unspent, its session live
   * and its user allowed, and otherwise changes nothing. Anything else (a refusal, a retry within the grace
   * window, a reuse) takes the checked path, which says exactly why.
   */
  async rotate(em: EntityManager, presented: string, { requireVerifiedEmail = false } = {}): Promise<RotationOutcome> {
    if (!isRefreshTokenFormat(presented)) throw refreshTokenRefused(AuthReason.TOKEN_INVALID);
    const child = this.rotation.childOf(presented);
    const tokens: RotationTokens = { hash: hashRefreshToken(presented), child, childHash: hashRefreshToken(child) };
    const now = new Date();
    const idleSince = new Date(now.getTime() - this.options.idleTimeoutSeconds * 1000);
    const { rows } = await rawQuery<SessionRow>(em, ROTATE_IF_LIVE, [tokens.hash, tokens.childHash, now, idleSince, requireVerifiedEmail]);
    if (rows[0]) return { kind: 'rotated', session: sessionState(rows[0]), user: em.map(User, userColumns(rows[0])), refreshToken: tokens.child };
    return this.rotateChecked(em, tokens, requireVerifiedEmail);
  }

  /**
   * rotate, for whatever the one statement did not do, in a transaction of four to five statements. The
   * user row is not locked (nor is it in the one statement): what must end a session's refreshes (disabling
   * the user, changing or resetting the password, a logout, an admin's revocation) revokes the session row,
   * which both lock, so whichever commits first wins and the other sees it.
   */
  private async rotateChecked(em: EntityManager, tokens: RotationTokens, requireVerifiedEmail: boolean): Promise<RotationOutcome> {
    const found = await rawTransaction(em, async (tx) => {
      // Locks the token, then its session (the order of FOR UPDATE OF): every refresh of a session, and
      // every revocation, takes its turn on the session row. A locked row that changed while this waited is
      // read again at its latest version, so a revocation that committed meanwhile is seen; the rest of the
      // row (the user) is as it was when the statement started.
      const { rows } = await tx.query<LockedRow>(LOCK_TOKEN_AND_SESSION, [tokens.hash]);
      const row = rows[0];
      if (!row) throw refreshTokenRefused(AuthReason.TOKEN_INVALID);
      const now = new Date();
      const session = sessionState(row);
      const user = em.map(User, userColumns(row));
      if (user.disabledAt) throw unauthenticated(AuthReason.USER_DISABLED);
      if (session.revokedAt) throw unauthenticated(AuthReason.SESSION_REVOKED);
      if (this.endsAt(session) <= now) throw unauthenticated(AuthReason.SESSION_EXPIRED);
      // REQUIRE_VERIFIED_EMAIL also ends the refreshes of sessions opened before it was turned on.
      if (requireVerifiedEmail && !user.emailVerifiedAt) throw unauthenticated(AuthReason.EMAIL_NOT_VERIFIED);

      if (row['t.rotated_at_ms'] !== null) {
        const withinGrace = now.getTime() - row['t.rotated_at_ms'] <= this.options.reuseGraceSeconds * 1000;
        // The grace window hands out the token this one became, as long as that one is still live. Read
        // now, after the lock: the refresh that rotated this token (and stored that one) may have committed
        // while this one waited, after the statement above had started.
        const current = withinGrace ? (await tx.query<{ rotated: boolean }>(SUCCESSOR, [tokens.childHash])).rows[0] : undefined;
        if (!current || current.rotated) {
          await tx.query(REVOKE_FOR_REUSE, [session.id, now, RevokeReason.REFRESH_TOKEN_REUSE]);
          return { kind: 'reused' as const, session, user };
        }
        await tx.query(TOUCH_SESSION, [session.id, now]);
      } else {
        // Rotated now, here: the one statement found it spent, or its session or user not as they must be,
        // and that changed since.
        await tx.query(ROTATE, [tokens.hash, tokens.childHash, session.id, now]);
      }
      session.lastUsedAt = now;
      return { kind: 'rotated' as const, session, user };
    });
    if (found.kind === 'reused') return { kind: 'reused', sessionId: found.session.id, userId: found.user.id };
    return { kind: 'rotated', session: found.session, user: found.user, refreshToken: tokens.child };
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

// The rotation's statements (rotate). Timestamps are read as epoch milliseconds: the ORM's connections
// return timestamptz as text, which is the ORM's to parse (em.map does, for the user). Every parameter
// has its type written, since one may appear where PostgreSQL cannot infer it.

/** The session's columns a grant needs, named with a dot so that they never clash with the user's own (u.*). */
type SessionRow = Record<string, unknown> & {
  's.id': string;
  's.amr': string[];
  's.authenticated_at_ms': number;
  's.last_used_at_ms': number;
  's.expires_at_ms': number;
  's.revoked_at_ms': number | null;
};

/** The presented token's hash, the token it becomes (rotation.childOf), and that one's hash. */
interface RotationTokens {
  hash: string;
  child: string;
  childHash: string;
}

/** A row of LOCK_TOKEN_AND_SESSION: SessionRow, and when the token was spent. */
type LockedRow = SessionRow & { 't.rotated_at_ms': number | null };

const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

const sessionColumns = (s: string) => `${s}.id as "s.id", ${s}.amr as "s.amr",
    ${ms(`${s}.authenticated_at`)} as "s.authenticated_at_ms", ${ms(`${s}.last_used_at`)} as "s.last_used_at_ms",
    ${ms(`${s}.expires_at`)} as "s.expires_at_ms", ${ms(`${s}.revoked_at`)} as "s.revoked_at_ms"`;

/**
 * The usual refresh, whole: $1 the token's hash, $2 its successor's, $3 now, $4 the idle cutoff (now less
 * the idle timeout), $5 whether the address must be verified. `target` is the token only if it is unspent,
 * its session neither revoked nor ended, and its user enabled (and verified, with $5); it locks the token,
 * then the session, as the checked path does. A concurrent refresh or revocation that commits while this
 * waits leaves the locked rows failing those conditions when they are read again: then nothing is written
 * and no row comes back, and the checked path decides.
 */
const ROTATE_IF_LIVE = new Sql(`with target as (
    select t.token_hash, t.session_id
    from refresh_tokens t
    join sessions s on s.id = t.session_id
    join users u on u.id = s.user_id
    where t.token_hash = $1::text and t.rotated_at is null
      and s.revoked_at is null and s.expires_at > $3::timestamptz and s.last_used_at > $4::timestamptz
      and u.disabled_at is null and (not $5::boolean or u.email_verified_at is not null)
    for update of t, s
  ),
  spent as (update refresh_tokens r set rotated_at = $3::timestamptz from target where r.token_hash = target.token_hash),
  child as (
    insert into refresh_tokens (token_hash, session_id, created_at, rotated_at)
    select $2::text, target.session_id, $3::timestamptz, null from target
  ),
  touched as (update sessions s set last_used_at = $3::timestamptz from target where s.id = target.session_id returning s.*)
  select u.*, ${sessionColumns('touched')}
  from touched join users u on u.id = touched.user_id`);

const LOCK_TOKEN_AND_SESSION = new Sql(`select u.*, ${ms('t.rotated_at')} as "t.rotated_at_ms", ${sessionColumns('s')}
  from refresh_tokens t
  join sessions s on s.id = t.session_id
  join users u on u.id = s.user_id
  where t.token_hash = $1::text
  for update of t, s`);

/**
 * startIfUnchanged: $1 the user, $2 the checked hash, $3 the session's id, $4 now, $5 its absolute end,
 * $6 and $7 the client's address and user agent, $8 the amr (an array literal, as the ORM writes Session.amr), $9 the refresh token's hash.
 */
const START_IF_UNCHANGED = new Sql(`with u as (
    select * from users where id = $1::uuid and password_hash = $2::text and disabled_at is null for share
  ),
  s as (
    insert into sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at, revoked_reason, ip, user_agent, amr, authenticated_at)
    select $3::uuid, u.id, $4::timestamptz, $4::timestamptz, $5::timestamptz, null, null, $6::text, $7::text, $8::text[], $4::timestamptz from u
    returning id
  ),
  t as (
    insert into refresh_tokens (token_hash, session_id, created_at, rotated_at) select $9::text, s.id, $4::timestamptz, null from s
  )
  select u.* from u, s`);

/** A first presentation: the token is spent, the one it becomes is stored, the session was used now. */
const ROTATE = new Sql(`with spent as (update refresh_tokens set rotated_at = $4::timestamptz where token_hash = $1::text),
    child as (
      insert into refresh_tokens (token_hash, session_id, created_at, rotated_at) values ($2::text, $3::uuid, $4::timestamptz, null)
    )
  update sessions set last_used_at = $4::timestamptz where id = $3::uuid`);

/** The token a rotated one became (its hash), and whether it has been rotated in turn. */
const SUCCESSOR = new Sql(`select rotated_at is not null as rotated from refresh_tokens where token_hash = $1::text`);

const TOUCH_SESSION = new Sql(`update sessions set last_used_at = $2::timestamptz where id = $1::uuid`);

const REVOKE_FOR_REUSE = new Sql(`update sessions set revoked_at = $2::timestamptz, revoked_reason = $3::text where id = $1::uuid`);

const dateOrNull = (value: number | null): Date | null => (value === null ? null : new Date(value));

function sessionState(row: SessionRow): SessionState {
  return {
    id: row['s.id'],
    amr: row['s.amr'],
    authenticatedAt: new Date(row['s.authenticated_at_ms']),
    lastUsedAt: new Date(row['s.last_used_at_ms']),
    expiresAt: new Date(row['s.expires_at_ms']),
    revokedAt: dateOrNull(row['s.revoked_at_ms']),
  };
}

/** The user's own columns of a row (the others are named with a dot). */
function userColumns(row: SessionRow): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const key in row) if (!key.includes('.')) columns[key] = row[key];
  return columns;
}
