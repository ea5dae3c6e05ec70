import type { LiveConnection } from './live-connection';

/** This instance's open sockets, by user, session and client IP, with the per-user and per-IP bounds. */
export class LiveRegistry {
  readonly all = new Set<LiveConnection>();
  /** The sockets with an admin's securityEvents subscription. */
  readonly admins = new Set<LiveConnection>();
  private readonly byUser = new Map<string, Set<LiveConnection>>();
  private readonly bySession = new Map<string, Set<LiveConnection>>();
  private readonly byIp = new Map<string, number>();

  constructor(private readonly limits: { maxConnectionsPerUser: number; maxConnectionsPerIp: number }) {}

  /** A new socket, before sign-in; false when its IP has too many open already. */
  admit(connection: LiveConnection): boolean {
    const count = this.byIp.get(connection.ip) ?? 0;
    if (count >= this.limits.maxConnectionsPerIp) return false;
    this.byIp.set(connection.ip, count + 1);
    this.all.add(connection);
    return true;
  }

  /** Whether `userId` may hold one more signed-in socket. */
  hasRoomFor(userId: string): boolean {
    return (this.byUser.get(userId)?.size ?? 0) < this.limits.maxConnectionsPerUser;
  }

  /** Files a signed-in socket under its user and session (again after a renewal: `previous` is what it was). */
  index(connection: LiveConnection, previous?: { userId: string; sessionId: string }): void {
    if (previous) this.unindex(connection, previous);
    const { userId, sessionId } = connection.identity!;
    add(this.byUser, userId, connection);
    add(this.bySession, sessionId, connection);
  }

  remove(connection: LiveConnection): void {
    if (!this.all.delete(connection)) return;
    this.admins.delete(connection);
    const count = (this.byIp.get(connection.ip) ?? 1) - 1;
    if (count === 0) this.byIp.delete(connection.ip);
    else this.byIp.set(connection.ip, count);
    if (connection.identity) this.unindex(connection, connection.identity);
  }

  ofUser(userId: string): ReadonlySet<LiveConnection> {
    return this.byUser.get(userId) ?? EMPTY;
  }

  ofSession(sessionId: string): ReadonlySet<LiveConnection> {
    return this.bySession.get(sessionId) ?? EMPTY;
  }

  holdsUser(userId: string): boolean {
    return this.byUser.has(userId);
  }

  get userIds(): string[] {
    return [...this.byUser.keys()];
  }

  get sessionIds(): string[] {
    return [...this.bySession.keys()];
  }

  get signedIn(): number {
    let count = 0;
    for (const set of this.byUser.values()) count += set.size;
    return count;
  }

  private unindex(connection: LiveConnection, { userId, sessionId }: { userId: string; sessionId: string }): void {
    remove(this.byUser, userId, connection);
    remove(this.bySession, sessionId, connection);
  }
}

const EMPTY: ReadonlySet<LiveConnection> = new Set();

function add(map: Map<string, Set<LiveConnection>>, key: string, connection: LiveConnection): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(connection);
}

function remove(map: Map<string, Set<LiveConnection>>, key: string, connection: LiveConnection): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(connection);
  if (set.size === 0) map.delete(key);
}
