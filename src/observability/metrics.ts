import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The pool numbers tarn (knex's pool) reports. */
export interface PoolStats {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/**
 * Every Prometheus metric Gatehouse exposes, on a registry of its own (one per server, so tests can run
 * several in a process). Labels take only values from closed sets: schema field names, the error code
 * and reason tables, security event types; never anything a client chooses.
 */
/** What the metrics read of the auth cache (identity/auth-cache.ts) when scraped. */
export interface WatchedAuthCache {
  readonly stats: { readonly hits: number; readonly misses: number };
  readonly trusted: boolean;
  readonly size: number;
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** One root field and operation type's tallies: its requests by outcome, and its latency histogram. */
interface OperationTally {
  readonly field: string;
  readonly type: string;
  readonly outcomes: Map<string, number>;
  /** Observations per bucket of DURATION_BUCKETS (not cumulative), then the ones above the last. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

/** What prom-client's Histogram keeps per label set (lib/histogram.js), filled from the tallies when scraped. */
interface HistogramSeries {
  labels: { field: string; type: string };
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

export class Metrics {
  readonly registry = new Registry();

  /**
   * Every GraphQL operation's tallies, by root field then operation type (schema names, from closed sets).
   * Counted here on the request path, as plain numbers; prom-client's counter and histogram below are
   * filled from them when scraped. Through prom-client, each operation cost ~3 µs of CPU (label
   * validation and hashing on every call, and their garbage) of the ~120 µs a `{ __typename }` costs.
   */
  private readonly operations = new Map<string, Map<string, OperationTally>>();

  readonly requests = new Counter({
    name: 'gatehouse_graphql_requests_total',
    help: 'GraphQL operations by root field, type and outcome (ok, or the first error code).',
    labelNames: ['field', 'type', 'outcome'] as const,
    registers: [this.registry],
    collect: () => {
      this.requests.reset();
      for (const tally of this.tallies()) {
        for (const [outcome, n] of tally.outcomes) this.requests.inc({ field: tally.field, type: tally.type, outcome }, n);
      }
    },
  });

  readonly duration = new Histogram({
    name: 'gatehouse_graphql_request_duration_seconds',
    help: 'GraphQL operation latency by root field, from request start to response.',
    labelNames: ['field', 'type'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
    collect: () => {
      const series: Record<string, HistogramSeries> = {};
      for (const tally of this.tallies()) {
        const bucketValues: Record<number, number> = {};
        DURATION_BUCKETS.forEach((bound, i) => (bucketValues[bound] = tally.buckets[i]));
        series[`${tally.field} ${tally.type}`] = {
          labels: { field: tally.field, type: tally.type },
          bucketValues,
          sum: tally.sum,
          count: tally.count,
        };
      }
      (this.duration as unknown as { hashMap: Record<string, HistogramSeries> }).hashMap = series;
    },
  });

  readonly logins = this.counter(
    'gatehouse_logins_total',
    'login attempts by result: success, or the error reason or code (INVALID_CREDENTIALS, RATE_LIMITED, ...).',
    ['result'],
  );

  readonly tokenRejections = this.counter(
    'gatehouse_token_rejections_total',
    'Requests refused for their access token, by reason (TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_REVOKED).',
    ['reason'],
  );

  readonly rateLimited = this.counter('gatehouse_rate_limited_total', 'Operations refused by a rate limit, by root field.', ['field']);

  readonly securityEvents = this.counter(
    'gatehouse_security_events_total',
    'Security events recorded, by type (REVOKED_TOKEN_REUSE and REFRESH_TOKEN_REUSE among them).',
    ['type'],
  );

  readonly connectionsDropped = this.counter(
    'gatehouse_http_connections_dropped_total',
    'Connections closed on arrival because MAX_CONNECTIONS were open.',
    [],
  );

  readonly securityEventsDropped = this.counter(
    'gatehouse_security_events_dropped_total',
    'Security events dropped unwritten because the queue kept while the database is unavailable was full, by type.',
    ['type'],
  );

  readonly mailQueued = this.counter(
    'gatehouse_mail_queued_total',
    'Mails queued in the outbox, by template (counted when queued in a unit of work, before it commits).',
    ['template'],
  );

  readonly mailSent = this.counter('gatehouse_mail_sent_total', 'Mails handed to the SMTP server (or written as .eml files), by template.', [
    'template',
  ]);

  readonly mailFailed = this.counter(
    'gatehouse_mail_failed_total',
    'Mails given up, by template and reason (REJECTED: a 5xx answer; MAX_ATTEMPTS; EXPIRED: past send_before; UNDECRYPTABLE; INVALID).',
    ['template', 'reason'],
  );

  readonly mailRetries = this.counter(
    'gatehouse_mail_retries_total',
    'Failed attempts to send a mail that will be tried again (no connection, timeout, 4xx), by template.',
    ['template'],
  );

  readonly liveMessagesOut = this.counter(
    'gatehouse_live_messages_out_total',
    'Messages sent on live sockets (subscriptions over WebSocket), by graphql-ws message type (next, error, complete, ...).',
    ['type'],
  );

  readonly liveClosed = this.counter(
    'gatehouse_live_sockets_closed_total',
    'Live sockets closed by the server, by reason: UNAUTHORIZED (4401), INIT_TIMEOUT (4408), TOO_MANY_CONNECTIONS (4429), SLOW_CLIENT (1013), PONG_TIMEOUT, GOING_AWAY (1001).',
    ['reason'],
  );

  /** One GraphQL operation: gatehouse_graphql_requests_total and gatehouse_graphql_request_duration_seconds. */
  countOperation(field: string, type: string, outcome: string, seconds: number): void {
    let byType = this.operations.get(field);
    if (!byType) this.operations.set(field, (byType = new Map()));
    let tally = byType.get(type);
    if (!tally) {
      tally = { field, type, outcomes: new Map(), buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      byType.set(type, tally);
    }
    tally.outcomes.set(outcome, (tally.outcomes.get(outcome) ?? 0) + 1);
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]) bucket++;
    tally.buckets[bucket]++;
    tally.sum += seconds;
    tally.count++;
  }

  private *tallies(): Iterable<OperationTally> {
    for (const byType of this.operations.values()) yield* byType.values();
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /**
   * Process CPU, memory, GC, and nodejs_eventloop_lag_seconds. Started by the server only: these collectors
   * set up an event-loop monitor and a GC observer, which a one-shot CLI command has no use for.
   */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  watchPool(pool: () => PoolStats | undefined): void {
    const registry = this.registry;
    new Gauge({
      name: 'gatehouse_db_pool_connections',
      help: 'Database pool connections by state: used, free, and acquisitions waiting for one.',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const stats = pool();
        this.set({ state: 'used' }, stats?.numUsed() ?? 0);
        this.set({ state: 'free' }, stats?.numFree() ?? 0);
        this.set({ state: 'waiting' }, stats?.numPendingAcquires() ?? 0);
      },
    });
  }

  watchConnections(count: () => Promise<number>): void {
    new Gauge({
      name: 'gatehouse_http_connections',
      help: 'Open HTTP connections of this process (at most MAX_CONNECTIONS).',
      registers: [this.registry],
      async collect() {
        this.set(await count());
      },
    });
  }

  watchLiveSockets(count: () => { open: number; signedIn: number }): void {
    new Gauge({
      name: 'gatehouse_live_sockets',
      help: 'Open live sockets (GraphQL subscriptions over WebSocket) of this process, by state: open (all) and signed_in.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const { open, signedIn } = count();
        this.set({ state: 'open' }, open);
        this.set({ state: 'signed_in' }, signedIn);
      },
    });
  }

  watchEventQueue(size: () => number): void {
    new Gauge({
      name: 'gatehouse_security_event_queue',
      help: 'Security events waiting for the database to come back.',
      registers: [this.registry],
      collect() {
        this.set(size());
      },
    });
  }

  /** The outbox as the database sees it when scraped: read by one small query (see MailDispatcher.outboxStats). */
  watchMailOutbox(stats: () => Promise<{ pending: number; oldestPendingSeconds: number }>): void {
    const registry = this.registry;
    let last: Promise<{ pending: number; oldestPendingSeconds: number }> | undefined;
    // Both gauges of one scrape share one query.
    const read = () => (last ??= stats().finally(() => setImmediate(() => (last = undefined))));
    new Gauge({
      name: 'gatehouse_mail_outbox_pending',
      help: 'Mails waiting in the outbox (PENDING), in every instance.',
      registers: [registry],
      async collect() {
        this.set((await read().catch(() => ({ pending: NaN }))).pending);
      },
    });
    new Gauge({
      name: 'gatehouse_mail_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest mail waiting in the outbox (0 when none waits): grows while SMTP is down.',
      registers: [registry],
      async collect() {
        this.set((await read().catch(() => ({ oldestPendingSeconds: NaN }))).oldestPendingSeconds);
      },
    });
  }

  watchAuthCache(cache: WatchedAuthCache): void {
    const registry = this.registry;
    new Counter({
      name: 'gatehouse_auth_cache_lookups_total',
      help: 'Auth cache lookups by result (hit: answered with no database round trip).',
      labelNames: ['result'] as const,
      registers: [registry],
      // The cache keeps its own tallies on the hot path; they are copied here when scraped.
      collect() {
        this.reset();
        this.inc({ result: 'hit' }, cache.stats.hits);
        this.inc({ result: 'miss' }, cache.stats.misses);
      },
    });
    new Gauge({
      name: 'gatehouse_auth_cache_trusted',
      help: '1 while the auth cache hears change notifications, 0 while it is bypassed.',
      registers: [registry],
      collect() {
        this.set(cache.trusted ? 1 : 0);
      },
    });
    new Gauge({
      name: 'gatehouse_auth_cache_entries',
      help: 'Entries in the auth cache (tokens, sessions and users).',
      registers: [registry],
      collect() {
        this.set(cache.size);
      },
    });
  }
}
