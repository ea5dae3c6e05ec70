import type { EntityManager } from '@mikro-orm/postgresql';
import { loadConfig } from '../../src/config';
import { ErrorCode } from '../../src/errors/codes';
import { AppError } from '../../src/errors/errors';
import { postgresStore, RateLimitService } from '../../src/limits/rate-limit.service';
import { startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// The PostgreSQL store's shared table (rate_limits), used here directly: a login counts its two per-account
// limits in one statement and clears them in one. The server serves as the database (its migrations made
// the table); its own limiters are not involved.
let server: TestServer;
let limits: RateLimitService;
const SHORT = { points: 3, durationSeconds: 60 };
const LONG = { points: 5, durationSeconds: 3600 };

beforeAll(async () => {
  server = await startTestServer();
  const { rateLimits } = loadConfig({ ...process.env, ...server.env });
  limits = new RateLimitService(
    { ...rateLimits, accountFailuresShort: SHORT, accountFailuresLong: LONG },
    postgresStore(server.gatehouse.database.orm),
  );
});
afterAll(() => server.close());

const em = () => server.gatehouse.database.orm.em.fork() as EntityManager;
const rows = async () =>
  (
    await em().getConnection().execute<{ key: string; points: number; expire: string }[]>('select key, points, expire from rate_limits order by key')
  ).map((row) => ({ prefix: row.key.split(':')[0], points: Number(row.points), msLeft: Number(row.expire) - Date.now() }));
const refusal = async (attempt: Promise<void>) => {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return 'ok';
  expect(error).toBeInstanceOf(AppError);
  return { code: (error as AppError).code, retryAfter: (error as AppError).extensions?.retryAfter };
};

beforeEach(() => em().getConnection().execute('delete from rate_limits'));

it('counts both per-account limits in one row each, with each limit’s own window, and refuses past the smaller', async () => {
  const email = uniqueEmail();
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await refusal(limits.consumeAccountAttempt(email, '203.0.113.7')));
  expect(answers.slice(0, 3)).toEqual(['ok', 'ok', 'ok']);
  // Refused by the one-minute limit: its wait, not the hour's.
  expect(answers[3]).toEqual({ code: ErrorCode.RATE_LIMITED, retryAfter: expect.any(Number) });
  expect((answers[3] as { retryAfter: number }).retryAfter).toBeLessThanOrEqual(60);
  const stored = await rows();
  expect(stored.map(({ prefix, points }) => ({ prefix, points })).sort((a, b) => a.prefix.localeCompare(b.prefix))).toEqual([
    { prefix: 'gh-acct', points: 4 },
    { prefix: 'gh-acct-ip', points: 4 },
  ]);
  const windows = Object.fromEntries(stored.map(({ prefix, msLeft }) => [prefix, msLeft]));
  expect(windows['gh-acct']).toBeGreaterThan(55_000);
  expect(windows['gh-acct']).toBeLessThanOrEqual(60_000);
  expect(windows['gh-acct-ip']).toBeGreaterThan(3_500_000);
});

it('refuses with the longest wait when both limits refuse, and starts a count again once its window has passed', async () => {
  const email = uniqueEmail();
  for (let i = 0; i < LONG.points; i++) {
    // The short window passes between attempts, so only the hour's count reaches its limit.
    await em().getConnection().execute(`update rate_limits set expire = 0 where key like 'gh-acct:%'`);
    expect(await refusal(limits.consumeAccountAttempt(email, '203.0.113.8'))).toBe('ok');
  }
  const refused = await refusal(limits.consumeAccountAttempt(email, '203.0.113.8'));
  expect(refused).toEqual({ code: ErrorCode.RATE_LIMITED, retryAfter: expect.any(Number) });
  expect((refused as { retryAfter: number }).retryAfter).toBeGreaterThan(3500);
  expect((await rows()).map(({ prefix, points }) => `${prefix}=${points}`).sort()).toEqual(['gh-acct-ip=6', 'gh-acct=2']);
  // From another client IP only the account-wide count applies.
  expect(await refusal(limits.consumeAccountAttempt(email, '203.0.113.9'))).toBe('ok');
});

it('clears both counts in one go, and leaves other accounts’ counts alone', async () => {
  const [mine, theirs] = [uniqueEmail(), uniqueEmail()];
  for (let i = 0; i < 3; i++) await limits.consumeAccountAttempt(mine, '203.0.113.10');
  await limits.consumeAccountAttempt(theirs, '203.0.113.10');
  await limits.clearAccount(mine, '203.0.113.10');
  expect((await rows()).map(({ points }) => points)).toEqual([1, 1]);
  expect(await refusal(limits.consumeAccountAttempt(mine, '203.0.113.10'))).toBe('ok');
});

it('falls back to the in-process limiters while the table cannot answer, and refuses there too', async () => {
  const email = uniqueEmail();
  await em().getConnection().execute('alter table rate_limits rename to rate_limits_away');
  try {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await refusal(limits.consumeAccountAttempt(email, '203.0.113.11')));
    expect(answers.map((a) => (typeof a === 'string' ? a : a.code))).toEqual(['ok', 'ok', 'ok', ErrorCode.RATE_LIMITED]);
    await limits.clearAccount(email, '203.0.113.11');
    expect(await refusal(limits.consumeAccountAttempt(email, '203.0.113.11'))).toBe('ok');
  } finally {
    await em().getConnection().execute('alter table rate_limits_away rename to rate_limits');
  }
});
