import type { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput } from '../errors/errors';
import { FAILURE_TYPES, SEVERITY, type SecurityEventType } from './security-event-type';
import type { FailureSource, SecurityEventStats } from './security-event-stats.type';
import { StatsBucket } from './stats-bucket';

export interface StatsRange {
  since: Date;
  until?: Date | null;
  bucket: StatsBucket;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

// Fixed widths, so a bucket is the same length whatever the database session's time zone and its DST.
const BUCKETS: Record<StatsBucket, { interval: string; ms: number; maxDays: number }> = {
  [StatsBucket.HOUR]: { interval: '1 hour', ms: HOUR_MS, maxDays: 31 },
  [StatsBucket.DAY]: { interval: '24 hours', ms: DAY_MS, maxDays: 400 },
};

// One row per type that occurs in [since, until): its count in every bucket, in order, zeros included.
// The buckets come from generate_series, the counts from one pass over the range, which reads only the
// index security_events_created_at_stats_index (created_at, including type and count). since is on a
// bucket start (UTC), and date_bin puts each event in the bucket of the series that holds it: plain
// arithmetic on instants, the same whatever the session's time zone (and cheaper than date_trunc's).
const SERIES_SQL = `
with buckets as (
  select start from generate_series(?::timestamptz, ?::timestamptz, ?::interval) as start where start < ?::timestamptz
), counts as (
  select type, date_bin(?::interval, created_at, ?::timestamptz) as start, sum(count)::bigint as count
  from security_events
  where created_at >= ? and created_at < ?
  group by 1, 2
)
select t.type, sum(coalesce(c.count, 0))::int as total, array_agg(coalesce(c.count, 0)::int order by b.start) as counts
from (select distinct type from counts) t
cross join buckets b
left join counts c on c.type = t.type and c.start = b.start
group by t.type
order by total desc, t.type`;

// The enum's own values, written into the statement (nothing a client sends); with them the statement
// reads only the partial index security_events_failures_index.
const FAILURES_SQL = `
select ip, sum(count)::int as count, max(last_seen_at) as last_seen_at
from security_events
where created_at >= ? and created_at < ? and ip is not null
  and type in (${FAILURE_TYPES.map((type) => `'${type}'`).join(', ')})
group by ip
order by count desc, last_seen_at desc, ip
limit 10`;

interface SeriesRow {
  type: SecurityEventType;
  total: number;
  counts: number[];
}

interface FailureRow {
  ip: string;
  count: number;
  last_seen_at: string | Date;
}

/** Security events counted over time for the admin console's charts, in SQL: no event is loaded. */
export class SecurityEventStatsService {
  /** The statements, for the tests' EXPLAIN: [SQL, parameters] of each. */
  statements(range: { since: Date; until: Date; bucket: StatsBucket }): [string, unknown[]][] {
    const { interval } = BUCKETS[range.bucket];
    const { since, until } = range;
    return [
      [SERIES_SQL, [since, until, interval, until, interval, since, since, until]],
      [FAILURES_SQL, [since, until]],
    ];
  }

  async stats(em: EntityManager, input: StatsRange, now = new Date()): Promise<SecurityEventStats> {
    const range = checkRange(input, now);
    const [[seriesSql, seriesParams], [failuresSql, failuresParams]] = this.statements(range);
    const connection = em.getConnection();
    const rows = await connection.execute<SeriesRow[]>(seriesSql, seriesParams);
    const failures = await connection.execute<FailureRow[]>(failuresSql, failuresParams);
    const starts = bucketStarts(range);
    const series = rows.map(({ type, total, counts }) => {
      // The statement's buckets and these are made alike; a difference is a bug, not a chart with a shift.
      if (counts.length !== starts.length) throw new Error(`securityEventStats: ${counts.length} buckets from SQL, ${starts.length} expected`);
      return { type, severity: SEVERITY[type], total, points: starts.map((start, i) => ({ start, count: counts[i] })) };
    });
    return {
      ...range,
      total: series.reduce((sum, { total }) => sum + total, 0),
      series,
      topFailureSources: failures.map(({ ip, count, last_seen_at }): FailureSource => ({ ip, count, lastSeenAt: new Date(last_seen_at) })),
    };
  }
}

/**
 * The range as it is counted: `since` down to the start of its bucket (UTC), `until` (excluded) as asked
 * or now. BAD_USER_INPUT for a `since` in the future, an empty range, or more buckets than a chart needs
 * (31 days of hours, 400 of days), which would also make the statement long.
 */
export function checkRange({ since, until, bucket }: StatsRange, now: Date): { since: Date; until: Date; bucket: StatsBucket } {
  const { ms, maxDays } = BUCKETS[bucket];
  const end = until ?? now;
  if (since.getTime() > now.getTime()) throw badUserInput('since', 'since must not be in the future.');
  if (since.getTime() >= end.getTime()) throw badUserInput('until', 'until must be later than since.');
  if (end.getTime() - since.getTime() > maxDays * DAY_MS) {
    throw badUserInput(
      'since',
      `${bucket} buckets cover at most ${maxDays} days: move since closer to until${bucket === StatsBucket.HOUR ? ', or use DAY buckets' : ''}.`,
    );
  }
  return { since: new Date(Math.floor(since.getTime() / ms) * ms), until: end, bucket };
}

/** The start of every bucket from `since` (on a bucket start) until `until` (excluded): generate_series's. */
function bucketStarts({ since, until, bucket }: { since: Date; until: Date; bucket: StatsBucket }): Date[] {
  const { ms } = BUCKETS[bucket];
  const starts: Date[] = [];
  for (let at = since.getTime(); at < until.getTime(); at += ms) starts.push(new Date(at));
  return starts;
}
