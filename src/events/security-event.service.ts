import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { afterCursor, decodeCursor, NEWEST_FIRST, pageSize, toPage, type Page } from '../common/pagination';
import type { ClientInfo } from '../common/request-meta';
import { isUuid } from '../common/uuid';
import { isDatabaseUnavailable, loggableError } from '../db/driver-errors';
import type { Metrics } from '../observability/metrics';
import type { Alert, AlertService } from './alert.service';
import { SEVERITY, SecurityEventType, Severity } from './security-event-type';
import { SecurityEvent } from './security-event.entity';

export interface EventInput {
  type: SecurityEventType;
  userId?: string | null;
  sessionId?: string | null;
  client?: ClientInfo;
  details?: Record<string, unknown>;
}

/** An admin acting on someone's account, as recordByAdmin records them: their user id and session. */
export interface ActingAdmin {
  user: { id: string };
  sessionId: string;
}

export interface EventFilter {
  first?: number | null;
  after?: string | null;
  type?: SecurityEventType | null;
  userId?: string | null;
  /** The account's own history: who among the admins acted stays with the admins. */
  forOwner?: boolean;
}

// One statement: a new row, or one more repeat on the row of this dedupe window.
const UPSERT_SQL = `
insert into security_events (id, type, severity, user_id, session_id, ip, user_agent, details, created_at, last_seen_at, count, dedupe_key)
values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, 1, ?)
on conflict (dedupe_key) do update set count = security_events.count + 1, last_seen_at = excluded.last_seen_at
returning (xmax = 0) as inserted`;

export interface EventQueueOptions {
  /** Events kept while the database is unavailable (at least 1); past it the oldest are dropped. */
  max: number;
  /** The first retry after a failed write; each failure doubles it, up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
}

const DEFAULT_QUEUE: EventQueueOptions = { max: 10_000, retryBaseMs: 1_000, retryMaxMs: 10_000 };

/** One event ready to write: its row, fixed when it happened (id, time, dedupe window), so a retry writes the same. */
interface PendingEvent {
  row: Omit<Alert, 'createdAt'>;
  details: string;
  at: Date;
  dedupeKey: string;
}

/**
 * The security event log. Recording never fails the caller. An event whose write fails because the
 * database is unavailable waits, in order, in a bounded in-memory queue that a retry loop writes (with
 * its original time) once the database is back; its alert is sent from that write, as from any other.
 * Another failure is a bug: logged, not retried. The queue is lost if the process dies.
 */
export class SecurityEventService {
  private readonly queueOptions: EventQueueOptions;
  private readonly queue: PendingEvent[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs: number;
  private flushing: Promise<void> | undefined;
  // Of the current outage, for the line that says it is over.
  private written = 0;
  private dropped = 0;
  private closed = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly dedupeSeconds: number,
    private readonly alerts: AlertService,
    private readonly log: FastifyBaseLogger,
    private readonly metrics: Metrics,
    queue: Partial<EventQueueOptions> = {},
  ) {
    this.queueOptions = { ...DEFAULT_QUEUE, ...queue };
    this.retryDelayMs = this.queueOptions.retryBaseMs;
    metrics.watchEventQueue(() => this.queue.length);
  }

  async record(input: EventInput): Promise<void> {
    this.metrics.securityEvents.inc({ type: input.type });
    const event = this.prepare(input);
    // Behind the queued ones, so events are written in the order they happened.
    if (this.queue.length > 0) return this.enqueue(event);
    try {
      await this.write(event);
    } catch (error) {
      this.failed(event, error);
    }
  }

  /**
   * An admin's action on `userId`'s account: recorded with the admin's session, and the admin in
   * `details.by` (which the user's own myEvents leaves out).
   */
  recordByAdmin(
    type: SecurityEventType,
    admin: ActingAdmin,
    userId: string,
    client: ClientInfo,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    return this.record({ type, userId, sessionId: admin.sessionId, client, details: { ...details, by: admin.user.id } });
  }

  /** Stops retrying and makes one last attempt to write what is queued, for at most `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.queue.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    if (this.queue.length > 0) {
      this.log.error({ lost: this.queue.length }, 'security events lost at shutdown: the database was unavailable');
    }
  }

  private prepare(input: EventInput): PendingEvent {
    const at = new Date();
    const window = Math.floor(at.getTime() / (this.dedupeSeconds * 1000));
    const row = {
      id: randomUUID(),
      type: input.type,
      severity: SEVERITY[input.type],
      userId: input.userId ?? null,
      sessionId: input.sessionId ?? null,
      ip: input.client?.ip ?? null,
      userAgent: input.client?.userAgent ?? null,
      details: input.details ?? {},
    };
    const details = JSON.stringify(row.details);
    // The same event repeated: same type, user, session, client and details within one window.
    const dedupeKey = createHash('sha256').update([row.type, row.userId, row.sessionId, row.ip, details, window].join('|')).digest('base64url');
    return { row, details, at, dedupeKey };
  }

  private async write({ row, details, at, dedupeKey }: PendingEvent): Promise<void> {
    // Its own EntityManager: the event is kept even when the caller's transaction rolls back.
    const [result] = await this.orm.em
      .fork()
      .getConnection()
      .execute<{ inserted: boolean }[]>(UPSERT_SQL, [
        row.id,
        row.type,
        row.severity,
        row.userId,
        row.sessionId,
        row.ip,
        row.userAgent,
        details,
        at,
        at,
        dedupeKey,
      ]);
    // Alert once per dedupe window, not once per repeat: an attacker cannot flood the webhook either.
    if (result?.inserted && row.severity === Severity.HIGH) this.alerts.notify({ ...row, createdAt: at.toISOString() });
  }

  private failed(event: PendingEvent, error: unknown): void {
    if (isDatabaseUnavailable(error) && !this.closed) return this.enqueue(event);
    // The event's type only: its user, address and user agent are what the row was for, not the log.
    this.log.error({ err: loggableError(error), event: { type: event.row.type } }, 'security event not recorded');
  }

  private enqueue(event: PendingEvent): void {
    if (this.queue.length === 0) this.log.warn('security events queued until the database is back');
    if (this.queue.length >= this.queueOptions.max) {
      const oldest = this.queue.shift()!;
      this.metrics.securityEventsDropped.inc({ type: oldest.row.type });
      // One line per burst of drops: the count is in the metric, and in the line when the queue drains.
      if (this.dropped++ === 0) {
        this.log.error({ max: this.queueOptions.max }, 'security event queue full: dropping the oldest events');
      }
    }
    this.queue.push(event);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.flushing || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }

  private flush(): Promise<void> {
    this.flushing ??= this.drain().then((drained) => {
      this.flushing = undefined;
      if (!drained) this.scheduleRetry();
    });
    return this.flushing;
  }

  /** Writes the queue in order; false when the database is still unavailable (with a longer wait next). */
  private async drain(): Promise<boolean> {
    while (this.queue.length > 0) {
      const next = this.queue[0];
      try {
        await this.write(next);
        this.written++;
      } catch (error) {
        if (isDatabaseUnavailable(error)) {
          this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.queueOptions.retryMaxMs);
          return false;
        }
        this.log.error({ err: loggableError(error), event: { type: next.row.type } }, 'security event not recorded');
      }
      // Unless a full queue dropped it meanwhile.
      if (this.queue[0] === next) this.queue.shift();
    }
    this.log.info({ written: this.written, dropped: this.dropped }, 'security events written after the database came back');
    this.retryDelayMs = this.queueOptions.retryBaseMs;
    this.written = 0;
    this.dropped = 0;
    return true;
  }

  /** One event as the securityEvents query shows it to admins (the live channel's securityEvents pushes it). */
  findById(id: string): Promise<SecurityEvent | null> {
    // Its own EntityManager: a read outside any request.
    return this.orm.em.fork().findOne(SecurityEvent, { id });
  }

  /** Events first seen or repeated at or after `since`, oldest first (the live channel's feed on the embedded database). */
  since(since: Date, limit: number): Promise<SecurityEvent[]> {
    return this.orm.em.fork().find(SecurityEvent, { lastSeenAt: { $gte: since } }, { orderBy: { lastSeenAt: 'asc', id: 'asc' }, limit });
  }

  async list(em: EntityManager, filter: EventFilter): Promise<Page<SecurityEvent>> {
    const size = pageSize(filter.first);
    if (filter.userId !== undefined && filter.userId !== null && !isUuid(filter.userId)) return toPage([], size);
    const rows = await em.find(
      SecurityEvent,
      {
        ...afterCursor(decodeCursor(filter.after)),
        ...(filter.type ? { type: filter.type } : {}),
        ...(filter.userId !== undefined && filter.userId !== null ? { userId: filter.userId } : {}),
      },
      { orderBy: NEWEST_FIRST, limit: size + 1 },
    );
    if (!filter.forOwner) return toPage(rows, size);
    const withoutActor = rows.map(({ details: { by: _by, ...details }, ...row }) => ({ ...row, details }) as SecurityEvent);
    return toPage(withoutActor, size);
  }
}
