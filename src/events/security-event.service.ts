import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { afterCursor, decodeCursor, NEWEST_FIRST, pageSize, toPage, type Page } from '../common/pagination';
import type { ClientInfo } from '../common/request-meta';
import { isUuid } from '../common/uuid';
import { loggableError } from '../db/driver-errors';
import type { Metrics } from '../observability/metrics';
import type { AlertService } from './alert.service';
import { SEVERITY, SecurityEventType, Severity } from './security-event-type';
import { SecurityEvent } from './security-event.entity';

export interface EventInput {
  type: SecurityEventType;
  userId?: string | null;
  sessionId?: string | null;
  client?: ClientInfo;
  details?: Record<string, unknown>;
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

/** The security event log. Recording never fails the caller: a lost event is logged, not thrown. */
export class SecurityEventService {
  constructor(
    private readonly orm: MikroORM,
    private readonly dedupeSeconds: number,
    private readonly alerts: AlertService,
    private readonly log: FastifyBaseLogger,
    private readonly metrics: Metrics,
  ) {}

  async record(input: EventInput): Promise<void> {
    this.metrics.securityEvents.inc({ type: input.type });
    const now = new Date();
    const severity = SEVERITY[input.type];
    const window = Math.floor(now.getTime() / (this.dedupeSeconds * 1000));
    const event = {
      id: randomUUID(),
      type: input.type,
      severity,
      userId: input.userId ?? null,
      sessionId: input.sessionId ?? null,
      ip: input.client?.ip ?? null,
      userAgent: input.client?.userAgent ?? null,
      details: input.details ?? {},
    };
    const details = JSON.stringify(event.details);
    // The same event repeated: same type, user, session, client and details within one window.
    const dedupeKey = createHash('sha256')
      .update([event.type, event.userId, event.sessionId, event.ip, details, window].join('|'))
      .digest('base64url');
    try {
      // Its own EntityManager: the event is kept even when the caller's transaction rolls back.
      const [row] = await this.orm.em
        .fork()
        .getConnection()
        .execute<{ inserted: boolean }[]>(UPSERT_SQL, [
          event.id, event.type, event.severity, event.userId, event.sessionId, event.ip, event.userAgent,
          details, now, now, dedupeKey,
        ]);
      // Alert once per dedupe window, not once per repeat: an attacker cannot flood the webhook either.
      if (row?.inserted && severity === Severity.HIGH) this.alerts.notify({ ...event, createdAt: now.toISOString() });
    } catch (error) {
      // The event's type only: its user, address and user agent are what the row was for, not the log.
      this.log.error({ err: loggableError(error), event: { type: event.type } }, 'security event not recorded');
    }
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
