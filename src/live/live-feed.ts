import type { FastifyBaseLogger } from 'fastify';
import { loggableError } from '../db/driver-errors';
import type { NotificationSubscriber } from '../db/notifications';
import { forbidden } from '../errors/errors';
import type { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import { AUTH_CHANNEL } from '../identity/auth-state-listener';
import { Role } from '../users/role';
import { ACCOUNT_EVENT_OF, AccountEventType } from './account-events';
import type { AccountEvent } from './account-event.type';
import type { LiveConnection } from './live-connection';
import type { LiveRegistry } from './live-registry';
import type { SessionState, SessionStateReader } from './session-state';

/** Announces each security event as it is written (migration Migration20261205150000). */
export const LIVE_CHANNEL = 'gatehouse_live';

/** A `gatehouse_live` payload. */
interface EventNotice {
  id: string;
  type: SecurityEventType;
  userId: string | null;
  sessionId: string | null;
  at: string;
}

// A socket is told about at most this many of its user's other sessions ended at once (a logout ALL of
// hundreds of sessions would otherwise fill its queue); its own session's end always comes.
const OTHER_SESSIONS_PER_BATCH = 10;
// On the embedded database (no NOTIFY between connections), how often the held state is read again.
const POLL_MS = 250;
// Sessions already reported as ended, so that overlapping reads report each once.
const REPORTED_MAX = 10_000;

/**
 * Turns what changes in the database into what each open socket is told, on whichever instance holds it.
 * On PostgreSQL it is a NotificationHub subscriber: `gatehouse_auth` says which token, session or user
 * changed (the same notices that keep the auth cache correct), and it reads their state again, in one
 * query per batch of notices; `gatehouse_live` names each security event written. On the embedded
 * database it reads the state of every held socket every POLL_MS instead. Either way the database is the
 * truth: a notice only says what to read again, so a lost or repeated notice costs a read, not a wrong close.
 */
export class LiveFeed implements NotificationSubscriber {
  readonly channels = [AUTH_CHANNEL, LIVE_CHANNEL];
  private readonly sessions = new Set<string>();
  private readonly users = new Set<string>();
  private readonly jtis = new Set<string>();
  private everything = false;
  private scheduled = false;
  private running: Promise<void> = Promise.resolve();
  private readonly reported = new Set<string>();
  private poller?: NodeJS.Timeout;
  private pollCursor = new Date();

  constructor(
    private readonly registry: LiveRegistry,
    private readonly reader: SessionStateReader,
    private readonly events: SecurityEventService,
    private readonly log: FastifyBaseLogger,
  ) {}

  notify(channel: string, payload: string): void {
    if (this.registry.all.size === 0) return;
    if (channel === LIVE_CHANNEL) return void this.onNotice(payload);
    const id = payload.slice(2);
    switch (payload.slice(0, 2)) {
      case 's:':
        this.sessions.add(id);
        break;
      case 'u:':
        if (this.registry.holdsUser(id)) this.users.add(id);
        break;
      case 't:':
        this.jtis.add(id);
        break;
      default:
        this.everything = true;
    }
    this.schedule();
  }

  /** Listening again after a gap: whatever changed meanwhile is unknown, so read every held socket's state. */
  resume(): void {
    this.everything = true;
    this.schedule();
  }

  confirm(): void {}

  suspend(): void {}

  /** The embedded database: read the held state every POLL_MS, and the events written since the last read. */
  startPolling(): void {
    this.poller = setInterval(() => {
      if (this.registry.all.size === 0) {
        this.pollCursor = new Date();
        return;
      }
      this.everything = true;
      this.schedule();
    }, POLL_MS);
    this.poller.unref();
  }

  stop(): void {
    clearInterval(this.poller);
  }

  /** Reads a newly signed-in socket's state once more (see LiveServer: a revocation may have raced its sign-in). */
  check(connection: LiveConnection): void {
    const identity = connection.identity!;
    this.sessions.add(identity.sessionId);
    this.jtis.add(identity.jti);
    this.schedule();
  }

  /** A socket's token reached its expiry. */
  expire(connection: LiveConnection): void {
    const identity = connection.identity!;
    connection.revoke(
      { type: AccountEventType.SESSION_REVOKED, sessionId: identity.sessionId, at: new Date(), current: true, reason: 'TOKEN_EXPIRED' },
      'token expired',
    );
  }

  /** Batches the notices of one turn of the event loop into one read (a logout ALL announces every session). */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // One batch at a time, in order.
      this.running = this.running
        .then(() => this.recheck())
        .catch((error: unknown) => this.log.warn({ err: loggableError(error) }, 'live: state read failed'));
    });
  }

  private async recheck(): Promise<void> {
    const everything = this.everything;
    const polling = this.poller !== undefined && everything;
    const sessions = everything ? this.registry.sessionIds : [...this.sessions, ...(this.users.size > 0 ? this.sessionsOfUsers(this.users) : [])];
    const jtis = everything ? [...this.registry.all].flatMap((c) => (c.identity ? [c.identity.jti] : [])) : [...this.jtis];
    this.sessions.clear();
    this.users.clear();
    this.jtis.clear();
    this.everything = false;
    const cursor = new Date();
    // Polling also finds the held users' other sessions ended since the last read (PostgreSQL names them).
    const since = new Date(this.pollCursor.getTime() - 1_000);
    const [states, revoked] = await Promise.all([
      this.reader.read(sessions, polling ? this.registry.userIds : [], since),
      this.reader.revokedTokens(jtis),
    ]);
    this.apply(states, revoked);
    if (polling) {
      for (const event of await this.events.since(since, 1_000)) {
        const key = `${event.id}:${event.count}`;
        if (this.remember(key)) this.onEvent({ ...event, at: event.lastSeenAt.toISOString() });
      }
      this.pollCursor = cursor;
    }
  }

  private sessionsOfUsers(users: Set<string>): string[] {
    return [...users].flatMap((user) => [...this.registry.ofUser(user)].map((c) => c.identity!.sessionId));
  }

  private apply(states: SessionState[], revokedJtis: Set<string>): void {
    const ended = new Map<string, SessionState[]>();
    for (const state of states) {
      if (!this.registry.holdsUser(state.userId)) continue;
      if (state.endedBecause === null) {
        this.roleIs(state.id, state.role);
        continue;
      }
      if (!this.remember(`s:${state.id}`)) continue;
      const list = ended.get(state.userId) ?? [];
      list.push(state);
      ended.set(state.userId, list);
    }
    for (const [userId, list] of ended) {
      for (const connection of this.registry.ofUser(userId)) {
        const own = list.find((state) => state.id === connection.identity!.sessionId);
        if (own) {
          connection.revoke(revokedEvent(own, true), 'session ended');
          continue;
        }
        for (const state of list.slice(0, OTHER_SESSIONS_PER_BATCH)) connection.pushAccount(revokedEvent(state, false));
      }
    }
    if (revokedJtis.size === 0) return;
    for (const connection of this.registry.all) {
      const identity = connection.identity;
      if (!identity || !revokedJtis.has(identity.jti)) continue;
      connection.revoke(
        { type: AccountEventType.SESSION_REVOKED, sessionId: identity.sessionId, at: new Date(), current: true, reason: 'TOKEN_REVOKED' },
        'token revoked',
      );
    }
  }

  /** A role change: an admin's securityEvents end (FORBIDDEN) once the role is gone. */
  private roleIs(sessionId: string, role: Role): void {
    for (const connection of this.registry.ofSession(sessionId)) {
      connection.identity!.role = role;
      if (role === Role.ADMIN) continue;
      for (const stream of connection.adminStreams.keys()) stream.fail(forbidden());
    }
  }

  private onNotice(payload: string): void {
    let notice: EventNotice;
    try {
      notice = JSON.parse(payload) as EventNotice;
    } catch {
      // Not the trigger's (an operator's NOTIFY by hand): nothing to deliver.
      return this.log.warn('live: a gatehouse_live notification that is not an event was ignored');
    }
    this.onEvent(notice);
  }

  private onEvent(notice: EventNotice): void {
    const type = ACCOUNT_EVENT_OF[notice.type];
    if (type && notice.userId && this.registry.holdsUser(notice.userId)) {
      for (const connection of this.registry.ofUser(notice.userId)) {
        connection.pushAccount({
          type,
          sessionId: notice.sessionId,
          at: new Date(notice.at),
          current: notice.sessionId === connection.identity!.sessionId,
          reason: null,
        });
      }
    }
    if (this.registry.admins.size === 0) return;
    void this.events.findById(notice.id).then(
      (event) => {
        if (!event) return;
        for (const connection of this.registry.admins) connection.pushSecurity(event);
      },
      (error: unknown) => this.log.warn({ err: loggableError(error) }, 'live: security event read failed'),
    );
  }

  /** True the first time `key` is seen (of the last REPORTED_MAX). */
  private remember(key: string): boolean {
    if (this.reported.has(key)) return false;
    if (this.reported.size >= REPORTED_MAX) this.reported.delete(this.reported.values().next().value!);
    this.reported.add(key);
    return true;
  }
}

function revokedEvent(state: SessionState, current: boolean): AccountEvent {
  return { type: AccountEventType.SESSION_REVOKED, sessionId: state.id, at: state.at, current, reason: state.endedBecause };
}
