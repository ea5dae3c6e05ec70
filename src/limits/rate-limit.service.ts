import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
  type IRateLimiterStoreOptions,
} from 'rate-limiter-flexible';
import type { Config, RateLimit } from '../config';
import { rateLimited } from '../errors/errors';
import { ACCOUNT_LIMITS, AUTH_OPERATIONS, MAIL_LIMITS, perIpLimitKey, type AccountLimit, type AuthOperation } from '../config/operations';

/** The operations limited per client IP: AUTH_OPERATIONS (operations.ts). */
export type IpAction = AuthOperation;

const ACCOUNT_STORE = Object.fromEntries(ACCOUNT_LIMITS.map(({ name, store }) => [name, store])) as Record<AccountLimit, string>;

/**
 * Brute-force and credential-stuffing limits, kept in PostgreSQL (or Redis with REDIS_URL) so every
 * instance shares them. Per client IP for each authentication action. Per account, every password
 * attempt counts before the password is checked (so parallel requests cannot slip past): a slow-down for
 * the account as a whole, and a temporary block for the account from one client IP, so an attacker
 * cannot lock the owner out of their own account. A successful login clears both. Nothing here blocks
 * for good. If the store fails, an in-process limiter of the same size stands in.
 */
export class RateLimitService {
  private readonly perIp: Record<IpAction, RateLimiterAbstract>;
  private readonly account: RateLimiterAbstract;
  private readonly accountFromIp: RateLimiterAbstract;
  private readonly mailAddress: RateLimiterAbstract;

  constructor(limits: Config['rateLimits'], store: StoreFactory) {
    this.perIp = Object.fromEntries(AUTH_OPERATIONS.map(({ name, store: prefix }) => [name, store(prefix, limits[perIpLimitKey(name)])])) as Record<
      IpAction,
      RateLimiterAbstract
    >;
    this.account = store(ACCOUNT_STORE.accountFailuresShort, limits.accountFailuresShort);
    this.accountFromIp = store(ACCOUNT_STORE.accountFailuresLong, limits.accountFailuresLong);
    this.mailAddress = store(MAIL_LIMITS[0].store, limits.mailPerAddress);
  }

  /** Counts one attempt of `action` from `ip`; throws RATE_LIMITED once over the limit. */
  async consumeIp(action: IpAction, ip: string | null): Promise<void> {
    await consumeAll([[this.perIp[action], ipKey(ip)]]);
  }

  /**
   * Counts one password attempt on the account (keyed by the email as typed, whether or not it exists),
   * before any hashing; throws RATE_LIMITED while the account is slowed down or blocked for this IP.
   */
  async consumeAccountAttempt(email: string, ip: string | null): Promise<void> {
    await consumeAll([
      [this.account, accountKey(email)],
      [this.accountFromIp, accountKey(`${email}|${ipKey(ip)}`)],
    ]);
  }

  /**
   * Counts one mail with a link to `address` (normalised, whether or not an account has it), before
   * anything is looked up; throws RATE_LIMITED once over RATE_LIMIT_MAIL_ADDRESS. Keyed by a hash: no
   * address is kept in the store.
   */
  async consumeMailAddress(address: string): Promise<void> {
    await consumeAll([[this.mailAddress, accountKey(`mail|${address}`)]]);
  }

  /** A successful login clears the account's count. */
  async clearAccount(email: string, ip: string | null): Promise<void> {
    await deleteAll([
      [this.account, accountKey(email)],
      [this.accountFromIp, accountKey(`${email}|${ipKey(ip)}`)],
    ]);
  }
}

/** Consumes a point on every limiter; when any refuses, RATE_LIMITED with the longest wait among them. */
async function consumeAll(steps: [RateLimiterAbstract, string][]): Promise<void> {
  const table = sharedTable(steps);
  const results = table
    ? await table.consume(steps as [TableLimiter, string][])
    : await Promise.allSettled(steps.map(([limiter, key]) => limiter.consume(key)));
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (refused.length === 0) return;
  const waits = refused.filter((r): r is RateLimiterRes => r instanceof RateLimiterRes).map((r) => r.msBeforeNext);
  if (waits.length === 0) throw refused[0] instanceof Error ? refused[0] : new Error(String(refused[0]));
  throw rateLimited(Math.max(...waits));
}

/** Deletes every limiter's count for its key. */
async function deleteAll(steps: [RateLimiterAbstract, string][]): Promise<void> {
  const table = sharedTable(steps);
  if (table) await table.delete(steps as [TableLimiter, string][]);
  else await Promise.all(steps.map(([limiter, key]) => limiter.delete(key)));
}

/** The one table all of `steps` keep their counts in, when there is one and more than one step: one statement serves them all. */
function sharedTable(steps: [RateLimiterAbstract, string][]): RateLimitTable | undefined {
  if (steps.length < 2) return undefined;
  const [[first]] = steps;
  if (!(first instanceof TableLimiter)) return undefined;
  return steps.every(([limiter]) => limiter instanceof TableLimiter && limiter.table === first.table) ? first.table : undefined;
}

/**
 * One bucket per client: an IPv4 address (also when written IPv4-mapped), or an IPv6 /64, since one
 * subscriber usually holds a whole /64 and could otherwise rotate through 2^64 buckets.
 */
export function ipKey(ip: string | null): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

// Emails are not kept in the store, and every key fits its 255 characters.
const accountKey = (email: string) => createHash('sha256').update(email).digest('base64url');

export type StoreFactory = (name: string, limit: RateLimit) => RateLimiterAbstract;

/** Redis when configured, else PostgreSQL, or memory on the embedded (single-process) database. */
export function chooseStore(redis: Redis | undefined, orm: MikroORM, embedded: boolean): StoreFactory {
  if (redis) return redisStore(redis);
  return embedded ? memoryStore : postgresStore(orm);
}

const options = (
  name: string,
  { points, durationSeconds }: RateLimit,
): Omit<IRateLimiterStoreOptions, 'storeClient'> & { insuranceLimiter: RateLimiterMemory } => ({
  keyPrefix: `gh-${name}`,
  points,
  duration: durationSeconds,
  insuranceLimiter: new RateLimiterMemory({ keyPrefix: `gh-${name}`, points, duration: durationSeconds }),
});

type Query = (text: string, values: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/** Limiters on the rate_limits table, through the ORM's pool (unnamed statements: safe on the embedded database too). */
export function postgresStore(orm: MikroORM): StoreFactory {
  const knex = orm.em.getConnection().getKnex();
  const query: Query = async (text, values) => {
    const connection = await knex.client.acquireConnection();
    try {
      return await connection.query({ text, values });
    } finally {
      await knex.client.releaseConnection(connection);
    }
  };
  const table = new RateLimitTable(query);
  return (name, limit) => {
    const shared = options(name, limit);
    return new TableLimiter(
      {
        ...shared,
        storeClient: { query: ({ text, values }: { text: string; values: unknown[] }) => query(text, values) },
        storeType: 'pool',
        tableName: RateLimitTable.NAME,
        tableCreated: true,
        // Expired rows are deleted by the housekeeping purge.
        clearExpiredByTimeout: false,
      },
      table,
      shared.insuranceLimiter,
    );
  };
}

/** rate-limiter-flexible's PostgreSQL limiter, which knows the table it shares with the others of its store. */
class TableLimiter extends RateLimiterPostgres {
  constructor(
    options: ConstructorParameters<typeof RateLimiterPostgres>[0],
    readonly table: RateLimitTable,
    /** The in-process limiter that answers while the table cannot (the library's insuranceLimiter). */
    readonly insurance: RateLimiterMemory,
  ) {
    super(options);
  }
}

/**
 * Several limiters' counts in one statement (a login counts two, and clears two), where each limiter
 * would send its own. The rows and the arithmetic are rate-limiter-flexible's (RateLimiterPostgres
 * `_upsert`: a count whose window has passed starts again at 1 with a new window), and so is the
 * answer (`_getRateLimiterRes`), so the limiters can still serve one key alone. Rows are written in key
 * order, so two statements never wait on each other's rows crosswise. If the statement fails, each
 * limiter's in-process insurance limiter answers, as the library's own fallback does.
 */
class RateLimitTable {
  static readonly NAME = 'rate_limits';

  constructor(private readonly query: Query) {}

  async consume(steps: [TableLimiter, string][]): Promise<PromiseSettledResult<RateLimiterRes>[]> {
    const now = Date.now();
    const keys = steps.map(([limiter, key]) => limiter.getKey(key));
    const order = keys.map((_, i) => i).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
    const values: unknown[] = [now];
    const rows = order.map((i) => `($${values.push(keys[i])}, 1, $${values.push(now + steps[i][0].msDuration)})`);
    let answer: { rows: Record<string, unknown>[] };
    try {
      answer = await this.query(
        `insert into ${RateLimitTable.NAME} (key, points, expire) values ${rows.join(', ')}
         on conflict (key) do update set
           points = case when ${RateLimitTable.NAME}.expire <= $1 then excluded.points else ${RateLimitTable.NAME}.points + excluded.points end,
           expire = case when ${RateLimitTable.NAME}.expire <= $1 then excluded.expire else ${RateLimitTable.NAME}.expire end
         returning key, points, expire`,
        values,
      );
    } catch {
      return Promise.allSettled(steps.map(([limiter, key]) => limiter.insurance.consume(key)));
    }
    const byKey = new Map(answer.rows.map((row) => [String(row.key), row]));
    return steps.map(([limiter], i): PromiseSettledResult<RateLimiterRes> => {
      const row = byKey.get(keys[i]);
      if (!row) return { status: 'rejected', reason: new Error(`rate_limits returned no row for a limiter of ${limiter.keyPrefix}`) };
      const consumed = Number(row.points);
      const res = new RateLimiterRes(Math.max(limiter.points - consumed, 0), Math.max(Number(row.expire) - Date.now(), 0), consumed, consumed === 1);
      return consumed > limiter.points ? { status: 'rejected', reason: res } : { status: 'fulfilled', value: res };
    });
  }

  async delete(steps: [TableLimiter, string][]): Promise<void> {
    const keys = steps.map(([limiter, key]) => limiter.getKey(key)).sort();
    try {
      await this.query(`delete from ${RateLimitTable.NAME} where key = any($1::varchar[])`, [keys]);
    } catch {
      await Promise.all(steps.map(([limiter, key]) => limiter.insurance.delete(key)));
    }
  }
}

/**
 * In-process limiters, for the embedded database: it serves exactly one process, so there is nothing to
 * share, and its one-query-at-a-time server is better spent on the requests themselves.
 */
export const memoryStore: StoreFactory = (name, { points, durationSeconds }) =>
  new RateLimiterMemory({ keyPrefix: `gh-${name}`, points, duration: durationSeconds });

export function redisStore(redis: Redis): StoreFactory {
  return (name, limit) => new RateLimiterRedis({ ...options(name, limit), storeClient: redis });
}
