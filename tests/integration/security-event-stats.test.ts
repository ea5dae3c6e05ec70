import { randomUUID } from 'node:crypto';
import { SEVERITY, SecurityEventType } from '../../src/events/security-event-type';
import { StatsBucket } from '../../src/events/stats-bucket';
import { checkRange } from '../../src/events/security-event-stats.service';
import { Role } from '../../src/users/role';
import { User } from '../../src/users/user.entity';
import { factories } from '../helpers/factories';
import { failure } from '../helpers/failure';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/test-server';

let server: TestServer;
let admin: { id: string; token: string };
beforeAll(async () => {
  // A day-long dedupe window, so the failed logins of one test are one row.
  server = await startTestServer({ SECURITY_EVENT_DEDUPE_WINDOW: '1d' });
  admin = await signUp('admin');
  await em().nativeUpdate(User, { id: admin.id }, { role: Role.ADMIN });
});
afterAll(() => server?.close());

const { em, signUp } = factories(() => server);
const asAdmin = () => server.sdk(admin.token);
const database = process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Every test counts its own stretch of the past, days apart, so none sees another's rows.
const today = Math.floor(Date.now() / DAY) * DAY;
const daysAgo = (days: number, ms = 0) => new Date(today - days * DAY + ms);
const iso = (date: Date) => date.toISOString();

interface Row {
  type: SecurityEventType;
  at: Date;
  count?: number;
  ip?: string | null;
  lastSeenAt?: Date;
}

/** Rows written directly, at chosen times, as the event log writes them (one row per dedupe window). */
async function insert(rows: Row[]): Promise<void> {
  const connection = em().getConnection();
  for (const { type, at, count = 1, ip = null, lastSeenAt = at } of rows) {
    await connection.execute(
      `insert into security_events (id, type, severity, ip, details, created_at, last_seen_at, count, dedupe_key)
       values (?, ?, ?, ?, '{}'::jsonb, ?, ?, ?, ?)`,
      [randomUUID(), type, SEVERITY[type], ip, at, lastSeenAt, count, randomUUID()],
    );
  }
}

const stats = (since: Date, until: Date | null, bucket?: 'HOUR' | 'DAY') =>
  asAdmin()
    .SecurityEventStats({ since: iso(since), until: until && iso(until), bucket })
    .then((result) => result.securityEventStats);

describe('securityEventStats', () => {
  it('puts an event at hh:00:00.000 and one at hh:59:59.999 in that hour, one at the next hour in the next; since is floored, until excluded', async () => {
    const at = (hour: number, ms = 0) => daysAgo(3, hour * HOUR + ms);
    await insert([
      { type: SecurityEventType.LOGIN_FAILED, at: at(9, HOUR - 1) },
      { type: SecurityEventType.LOGIN_FAILED, at: at(10) },
      { type: SecurityEventType.LOGIN_FAILED, at: at(10, HOUR - 1) },
      { type: SecurityEventType.LOGIN_FAILED, at: at(11) },
      { type: SecurityEventType.LOGIN_SUCCEEDED, at: at(13, 30 * 60_000) },
      { type: SecurityEventType.LOGIN_FAILED, at: at(14) },
    ]);
    // since 10:30 counts from 10:00; until 14:00 leaves out the event at 14:00 exactly.
    const result = await stats(at(10, 30 * 60_000), at(14));
    expect(result).toMatchObject({ since: iso(at(10)), until: iso(at(14)), bucket: 'HOUR', total: 4, topFailureSources: [] });
    expect(result.series).toEqual([
      {
        type: 'LOGIN_FAILED',
        severity: 'WARNING',
        total: 3,
        points: [
          { start: iso(at(10)), count: 2 },
          { start: iso(at(11)), count: 1 },
          { start: iso(at(12)), count: 0 },
          { start: iso(at(13)), count: 0 },
        ],
      },
      {
        type: 'LOGIN_SUCCEEDED',
        severity: 'INFO',
        total: 1,
        points: [
          { start: iso(at(10)), count: 0 },
          { start: iso(at(11)), count: 0 },
          { start: iso(at(12)), count: 0 },
          { start: iso(at(13)), count: 1 },
        ],
      },
    ]);
    // The hour before 10:00 holds the event at 09:59:59.999 alone.
    expect((await stats(at(9), at(10))).series).toEqual([
      { type: 'LOGIN_FAILED', severity: 'WARNING', total: 1, points: [{ start: iso(at(9)), count: 1 }] },
    ]);
    // An until inside an hour ends the range there: that hour is the last point, counted up to until.
    expect((await stats(at(11), at(11, 1))).series[0].points).toEqual([{ start: iso(at(11)), count: 1 }]);
  });

  it('answers an empty range with total 0, no series and no sources', async () => {
    const result = await stats(daysAgo(200), daysAgo(199));
    expect(result).toEqual({
      since: iso(daysAgo(200)),
      until: iso(daysAgo(199)),
      bucket: 'HOUR',
      total: 0,
      series: [],
      topFailureSources: [],
    });
  });

  it('counts DAY buckets in UTC days, the biggest series first', async () => {
    await insert([
      { type: SecurityEventType.PASSWORD_CHANGED, at: daysAgo(10) },
      { type: SecurityEventType.PASSWORD_CHANGED, at: daysAgo(10, DAY - 1) },
      { type: SecurityEventType.PASSWORD_CHANGED, at: daysAgo(9) },
      { type: SecurityEventType.REFRESH_TOKEN_REUSE, at: daysAgo(8, 5 * HOUR), count: 4, ip: '192.0.2.10' },
    ]);
    const result = await stats(daysAgo(10, 15 * HOUR), daysAgo(7), 'DAY');
    expect(result).toMatchObject({ since: iso(daysAgo(10)), until: iso(daysAgo(7)), bucket: 'DAY', total: 7 });
    expect(result.series).toEqual([
      {
        type: 'REFRESH_TOKEN_REUSE',
        severity: 'HIGH',
        total: 4,
        points: [
          { start: iso(daysAgo(10)), count: 0 },
          { start: iso(daysAgo(9)), count: 0 },
          { start: iso(daysAgo(8)), count: 4 },
        ],
      },
      {
        type: 'PASSWORD_CHANGED',
        severity: 'INFO',
        total: 3,
        points: [
          { start: iso(daysAgo(10)), count: 2 },
          { start: iso(daysAgo(9)), count: 1 },
          { start: iso(daysAgo(8)), count: 0 },
        ],
      },
    ]);
  });

  it('counts a deduplicated row as its count, in the bucket of its first occurrence', async () => {
    const at = (hour: number, ms = 0) => daysAgo(15, hour * HOUR + ms);
    // One row stands for 5 failures from 08:50 to 09:20: all five are counted at 08:00.
    await insert([
      { type: SecurityEventType.MFA_FAILED, at: at(8, 50 * 60_000), lastSeenAt: at(9, 20 * 60_000), count: 5, ip: '192.0.2.20' },
      { type: SecurityEventType.MFA_FAILED, at: at(9, 30 * 60_000), count: 7, ip: '192.0.2.20' },
    ]);
    const result = await stats(at(8), at(10));
    expect(result.total).toBe(12);
    expect(result.series[0].points).toEqual([
      { start: iso(at(8)), count: 5 },
      { start: iso(at(9)), count: 7 },
    ]);
    expect(result.topFailureSources).toEqual([{ ip: '192.0.2.20', count: 12, lastSeenAt: iso(at(9, 30 * 60_000)) }]);
  });

  it('counts the repeats the event log itself deduplicates (failed logins now)', async () => {
    const user = await signUp('target');
    for (let i = 0; i < 3; i++) {
      await failure(server.sdk().Login({ input: { email: user.email, password: `wrong password ${i}` } }));
    }
    const result = await stats(new Date(Date.now() - HOUR), null);
    expect(result.series.find((s) => s.type === 'LOGIN_FAILED')?.total).toBe(3);
    expect(result.topFailureSources).toEqual([{ ip: '127.0.0.1', count: 3, lastSeenAt: expect.any(String) }]);
    expect(Date.parse(result.until)).toBeLessThanOrEqual(Date.now());
    // The right password signs in: the failures were recorded, not the account locked.
    await server.sdk().Login({ input: { email: user.email, password: PASSWORD } });
  });

  it('lists the 10 addresses with the most failures, the most first, without events that are no failure or have no address', async () => {
    const at = (minute: number) => daysAgo(20, 12 * HOUR + minute * 60_000);
    const failures: Row[] = [
      { type: SecurityEventType.LOGIN_FAILED, at: at(1), count: 5, ip: '198.51.100.1' },
      { type: SecurityEventType.MFA_FAILED, at: at(2), count: 3, ip: '198.51.100.2' },
      { type: SecurityEventType.ACCOUNT_LOCKED, at: at(3), count: 4, ip: '198.51.100.2' },
      { type: SecurityEventType.REVOKED_TOKEN_REUSE, at: at(4), count: 6, ip: '2001:db8::1' },
      { type: SecurityEventType.PASSKEY_CLONE_SUSPECTED, at: at(5), count: 1, ip: '198.51.100.3' },
      { type: SecurityEventType.MFA_FAILURES_REPEATED, at: at(6), count: 1, ip: '198.51.100.3' },
      // Not failures, or no address: left out.
      { type: SecurityEventType.LOGIN_SUCCEEDED, at: at(7), count: 50, ip: '198.51.100.9' },
      { type: SecurityEventType.LOGIN_FAILED, at: at(8), count: 100, ip: null },
    ];
    // Nine more addresses with one failure each, at later and later times: the ties go latest first.
    for (let i = 0; i < 9; i++) failures.push({ type: SecurityEventType.LOGIN_FAILED, at: at(10 + i), ip: `203.0.113.${i + 1}` });
    await insert(failures);
    const { topFailureSources } = await stats(at(0), at(30));
    expect(topFailureSources.map(({ ip, count }) => `${ip} ${count}`)).toEqual([
      '198.51.100.2 7',
      '2001:db8::1 6',
      '198.51.100.1 5',
      '198.51.100.3 2',
      ...[9, 8, 7, 6, 5, 4].map((n) => `203.0.113.${n} 1`),
    ]);
    expect(topFailureSources[0].lastSeenAt).toBe(iso(at(3)));
  });

  it('refuses a since in the future, an empty or reversed range, and more than 31 days of hours or 400 of days', async () => {
    const refused = async (since: Date, until: Date | null, bucket?: 'HOUR' | 'DAY') => {
      const error = await failure(stats(since, until, bucket));
      return { ...error.errors[0].extensions, message: error.errors[0].message };
    };
    const now = Date.now();
    expect(await refused(new Date(now + HOUR), null)).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'since',
      message: 'since must not be in the future.',
    });
    expect(await refused(daysAgo(2), daysAgo(2))).toEqual({ code: 'BAD_USER_INPUT', field: 'until', message: 'until must be later than since.' });
    expect(await refused(daysAgo(2), daysAgo(3))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'until' });
    expect(await refused(daysAgo(40), daysAgo(8, -1))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'since',
      message: 'HOUR buckets cover at most 31 days: move since closer to until, or use DAY buckets.',
    });
    expect(await refused(daysAgo(402), daysAgo(1, -1), 'DAY')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'since' });
    // Exactly 31 days of hours, and 400 of days, are answered.
    expect((await stats(daysAgo(40), daysAgo(9))).series).toEqual(expect.any(Array));
    expect((await stats(daysAgo(401), daysAgo(1), 'DAY')).series).toEqual(expect.any(Array));
    // A date that is no date: GraphQL's own BAD_USER_INPUT, naming the variable.
    const { body } = await server.post(
      { query: 'query ($s: DateTimeISO!) { securityEventStats(since: $s) { total } }', variables: { s: 'yesterday' } },
      { authorization: `Bearer ${admin.token}` },
    );
    expect(body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0].message).toMatch(/\$s/);
  });

  it('is FORBIDDEN to a USER and UNAUTHENTICATED without a token', async () => {
    const user = await signUp();
    expect((await failure(server.sdk(user.token).SecurityEventStats({ since: iso(daysAgo(1)) }))).code).toBe('FORBIDDEN');
    const anonymous = await failure(server.sdk().SecurityEventStats({ since: iso(daysAgo(1)) }));
    expect({ code: anonymous.code, reason: anonymous.reason }).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
  });

  it('checks ranges without a database: a since on a bucket start stays, one inside is floored', () => {
    const now = new Date(today);
    expect(checkRange({ since: daysAgo(1, HOUR), bucket: StatsBucket.HOUR }, now).since).toEqual(daysAgo(1, HOUR));
    expect(checkRange({ since: daysAgo(1, HOUR + 1), bucket: StatsBucket.HOUR }, now).since).toEqual(daysAgo(1, HOUR));
    expect(checkRange({ since: daysAgo(1, HOUR + 1), bucket: StatsBucket.DAY }, now).since).toEqual(daysAgo(1));
  });
});

describe('securityEventStats over 100,000 events', () => {
  const TYPES = [SecurityEventType.LOGIN_FAILED, SecurityEventType.LOGIN_SUCCEEDED, SecurityEventType.ACCOUNT_LOCKED];
  const N = 100_000;
  const BUCKETS = 7 * 24;
  // A week, ending 30 days ago; event i is in hour i % 168, of type i % 3, with count 1 + i % 4, from one of 20 addresses.
  const start = daysAgo(37);
  const end = daysAgo(30);

  beforeAll(async () => {
    // One statement, of rows as the event log writes them (a user, a session, a browser's user agent); then
    // what autovacuum does in production soon after, so the planner knows the rows and that they are visible.
    await em()
      .getConnection()
      .execute(
        `insert into security_events (id, type, severity, user_id, session_id, ip, user_agent, details, created_at, last_seen_at, count, dedupe_key)
         select gen_random_uuid(), (array['LOGIN_FAILED', 'LOGIN_SUCCEEDED', 'ACCOUNT_LOCKED'])[i % 3 + 1], (array['WARNING', 'INFO', 'WARNING'])[i % 3 + 1],
                gen_random_uuid(), gen_random_uuid(), '10.0.0.' || (i % 20),
                'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
                '{}'::jsonb, t, t, 1 + i % 4, md5(i::text)
         from generate_series(0, ? - 1) as i,
              lateral (select ?::timestamptz + (i % 168) * interval '1 hour' + ((i * 7919) % 3600000) * interval '1 millisecond' as t) as at`,
        [N, start],
      );
    await em().getConnection().execute('vacuum analyze security_events');
  });

  it('counts every event in its hour, right to the unit', async () => {
    const expected = TYPES.map(() => Array<number>(BUCKETS).fill(0));
    const byIp = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      expected[i % 3][i % BUCKETS] += 1 + (i % 4);
      if (i % 3 !== 1) byIp.set(`10.0.0.${i % 20}`, (byIp.get(`10.0.0.${i % 20}`) ?? 0) + 1 + (i % 4));
    }
    const timings: number[] = [];
    let result: Awaited<ReturnType<typeof stats>> | undefined;
    for (let run = 0; run < 3; run++) {
      const began = performance.now();
      result = await stats(start, end);
      timings.push(performance.now() - began);
    }
    // Logged, not asserted (a busy machine is no test failure); EXPLAIN below checks what makes it fast.
    console.log(
      `securityEventStats, ${N} events over 168 HOUR buckets, ${database}: ${timings.map((t) => t.toFixed(0)).join(' / ')} ms (3 requests, HTTP included)`,
    );
    const totals = expected.map((counts) => counts.reduce((a, b) => a + b, 0));
    expect(result!.total).toBe(totals.reduce((a, b) => a + b, 0));
    const byType = Object.fromEntries(result!.series.map((s) => [s.type, s.points.map((p) => p.count)]));
    expect(byType).toEqual(Object.fromEntries(TYPES.map((type, i) => [type, expected[i]])));
    expect(result!.series.map((s) => s.total)).toEqual([...totals].sort((a, b) => b - a));
    const top = [...byIp.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
    expect(result!.topFailureSources.map((s) => s.count)).toEqual(top.map(([, count]) => count));
  });

  // Over the whole week (all 100,000 rows of the table) reading the index or the table cost about the same,
  // and the planner may take either; over the console's usual day of a larger table, the index.
  it('reads the two indexes made for it, not the table, for a day of the week', async () => {
    const connection = em().getConnection();
    const statements = server.gatehouse.services.eventStats.statements({ since: daysAgo(31), until: end, bucket: StatsBucket.HOUR });
    const scans = [];
    for (const [sql, params] of statements) {
      const [row] = await connection.execute<{ 'QUERY PLAN': { Plan: PlanNode }[] }[]>(`explain (format json) ${sql}`, params);
      scans.push(scansOf(row['QUERY PLAN'][0].Plan));
    }
    expect(scans).toEqual([
      ['Index Only Scan security_events security_events_created_at_stats_index'],
      ['Index Only Scan security_events security_events_failures_index'],
    ]);
    const timings: number[] = [];
    for (let run = 0; run < 3; run++) {
      const began = performance.now();
      expect((await stats(daysAgo(31), end)).series[0].points).toHaveLength(24);
      timings.push(performance.now() - began);
    }
    console.log(`securityEventStats, one day of ${N} events (24 HOUR buckets), ${database}: ${timings.map((t) => t.toFixed(0)).join(' / ')} ms`);
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of a plan that reads a table or an index: "<node type> <table> <index>". */
function scansOf(node: PlanNode): string[] {
  const own = node['Relation Name'] ? [`${node['Node Type']} ${node['Relation Name']} ${node['Index Name'] ?? ''}`.trim()] : [];
  return [...own, ...(node.Plans ?? []).flatMap(scansOf)];
}
