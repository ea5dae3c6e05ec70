import { setBounded } from '../common/bounded-map';
import type { UserRow } from './viewer-row';

/**
 * Heap held by one cached token with its session and user, when each belongs to a different user (the
 * worst case): measured by filling a cache with 100,000 of them (Node 20; `npm run bench:cache-memory`).
 */
export const BYTES_PER_CACHED_TOKEN = 1_900;

/**
 * Whether a full cache fits the V8 heap limit (`npm start` sets 512 MB): over the limit it would run the
 * process out of memory under a load that fills it, so start-up refuses it; over half, the process
 * would spend its time collecting garbage, so start-up warns.
 */
export function heapRoom(maxEntries: number, heapLimitBytes: number): { fatal: boolean; message: string } | undefined {
  const fullBytes = maxEntries * BYTES_PER_CACHED_TOKEN;
  if (fullBytes <= heapLimitBytes / 2) return undefined;
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const fatal = fullBytes > heapLimitBytes;
  return {
    fatal,
    message:
      `AUTH_CACHE_MAX_ENTRIES=${maxEntries} may hold up to ${mb(fullBytes)} MB, ${fatal ? 'more than' : 'more than half of'} ` +
      `this process's ${mb(heapLimitBytes)} MB heap limit: lower it, or raise --max-old-space-size to at least ${mb(fullBytes * 2)}`,
  };
}

export interface CachedSession {
  userId: string;
  /** Milliseconds since the epoch; the session's own end, checked on every use. */
  expiresAt: number;
}

/**
 * What the last database read said about live tokens, sessions and users, so that a request whose token
 * was seen before needs no database round trip. Only good news is kept (a token not revoked, a session
 * not ended, a user not disabled); anything else is read from the database every time.
 *
 * It is trusted only while AuthStateListener confirms that no change notification can have been missed
 * (`confirm`), and an entry read from the database is kept only if no notification arrived while it was
 * being read (`generation`), so a change committed during the read cannot be overwritten by stale state.
 */
export class AuthCache {
  private readonly tokens = new Map<string, true>();
  private readonly sessions = new Map<string, CachedSession>();
  private readonly users = new Map<string, UserRow>();
  private trustedUntil = 0;
  private currentGeneration = 0;
  readonly stats = { hits: 0, misses: 0, invalidations: 0 };

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get trusted(): boolean {
    return this.now() < this.trustedUntil;
  }

  get generation(): number {
    return this.currentGeneration;
  }

  get size(): number {
    return this.tokens.size + this.sessions.size + this.users.size;
  }

  lookup(jti: string, sessionId: string, userId: string): { user: UserRow; session: CachedSession } | undefined {
    const session = this.trusted && this.tokens.has(jti) ? this.sessions.get(sessionId) : undefined;
    const user = session?.userId === userId ? this.users.get(userId) : undefined;
    if (!session || !user) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    return { user, session };
  }

  /** Keeps what a read begun at `generation` found, unless a notification has arrived since. */
  store(generation: number, jti: string, sessionId: string, session: CachedSession, user: UserRow): void {
    if (generation !== this.currentGeneration || !this.trusted) return;
    setBounded(this.tokens, jti, true, this.maxEntries);
    setBounded(this.sessions, sessionId, session, this.maxEntries);
    setBounded(this.users, user.id, user, this.maxEntries);
  }

  /** A notification payload from the `gatehouse_auth` channel: "t:<jti>", "s:<session>" or "u:<user>". */
  invalidate(payload: string): void {
    this.currentGeneration++;
    this.stats.invalidations++;
    const id = payload.slice(2);
    switch (payload.slice(0, 2)) {
      case 't:':
        this.tokens.delete(id);
        break;
      case 's:':
        this.sessions.delete(id);
        break;
      case 'u:':
        this.users.delete(id);
        break;
      default:
        this.clear();
    }
  }

  /** Every notification committed before this moment has been applied; trust the cache until `until`. */
  confirm(until: number): void {
    this.trustedUntil = until;
  }

  /** Listening (again): whatever was missed before is unknown, so start empty. */
  resume(until: number): void {
    this.clear();
    this.trustedUntil = until;
  }

  /** The notification channel is gone: forget everything and read the database until it is back. */
  suspend(): void {
    this.trustedUntil = 0;
    this.clear();
  }

  private clear(): void {
    this.currentGeneration++;
    this.tokens.clear();
    this.sessions.clear();
    this.users.clear();
  }
}
