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
    await Promise.all([this.account.delete(accountKey(email)), this.accountFromIp.delete(accountKey(`${email}|${ipKey(ip)}`))]);
  }
}

/** Consumes a point on every limiter; when any refuses, RATE_LIMITED with the longest wait among them. */
async function consumeAll(steps: [RateLimiterAbstract, string][]): Promise<void> {
  const results = await Promise.allSettled(steps.map(([limiter, key]) => limiter.consume(key)));
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (refused.length === 0) return;
  const waits = refused.filter((r): r is RateLimiterRes => r instanceof RateLimiterRes).map((r) => r.msBeforeNext);
  if (waits.length === 0) throw refused[0] instanceof Error ? refused[0] : new Error(String(refused[0]));
  throw rateLimited(Math.max(...waits));
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

const options = (name: string, { points, durationSeconds }: RateLimit): Omit<IRateLimiterStoreOptions, 'storeClient'> => ({
  keyPrefix: `gh-${name}`,
  points,
  duration: durationSeconds,
  insuranceLimiter: new RateLimiterMemory({ keyPrefix: `gh-${name}`, points, duration: durationSeconds }),
});

/** Limiters on the rate_limits table, through the ORM's pool (unnamed statements: safe on the embedded database too). */
export function postgresStore(orm: MikroORM): StoreFactory {
  const knex = orm.em.getConnection().getKnex();
  const pool = {
    async query({ text, values }: { text: string; values: unknown[] }) {
      const connection = await knex.client.acquireConnection();
      try {
        return await connection.query({ text, values });
      } finally {
        await knex.client.releaseConnection(connection);
      }
    },
  };
  return (name, limit) =>
    new RateLimiterPostgres({
      ...options(name, limit),
      storeClient: pool,
      storeType: 'pool',
      tableName: 'rate_limits',
      tableCreated: true,
      // Expired rows are deleted by the housekeeping purge.
      clearExpiredByTimeout: false,
    });
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
