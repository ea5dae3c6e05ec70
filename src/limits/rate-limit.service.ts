import { createHash } from 'node:crypto';
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

export type IpAction = 'login' | 'register' | 'refresh' | 'changePassword';

/**
 * Brute-force and credential-stuffing limits, kept in PostgreSQL (or Redis with REDIS_URL) so every
 * instance shares them. Per client IP for each authentication action; per account for failed
 * passwords, in two steps (slow down, then a temporary block), cleared by a successful login. Nothing
 * here can lock an account for good. If the store fails, an in-process limiter of the same size stands in.
 */
export class RateLimitService {
  private readonly perIp: Record<IpAction, RateLimiterAbstract>;
  private readonly accountShort: RateLimiterAbstract;
  private readonly accountLong: RateLimiterAbstract;

  constructor(limits: Config['rateLimits'], store: StoreFactory) {
    this.perIp = {
      login: store('ip-login', limits.loginPerIp),
      register: store('ip-register', limits.registerPerIp),
      refresh: store('ip-refresh', limits.refreshPerIp),
      changePassword: store('ip-password', limits.changePasswordPerIp),
    };
    this.accountShort = store('acct-1', limits.accountFailuresShort);
    this.accountLong = store('acct-2', limits.accountFailuresLong);
  }

  /** Counts one attempt of `action` from `ip`; throws RATE_LIMITED once over the limit. */
  async consumeIp(action: IpAction, ip: string | null): Promise<void> {
    try {
      await this.perIp[action].consume(ip ?? 'unknown');
    } catch (rejection) {
      throw toError(rejection);
    }
  }

  /** Throws RATE_LIMITED while the account is slowed down or blocked; checked before any password work. */
  async assertAccountOpen(email: string): Promise<void> {
    const key = accountKey(email);
    const [short, long] = await Promise.all([this.accountShort.get(key), this.accountLong.get(key)]);
    const blocked = [[short, this.accountShort], [long, this.accountLong]] as const;
    for (const [res, limiter] of blocked) {
      if (res && res.consumedPoints >= limiter.points) throw rateLimited(res.msBeforeNext);
    }
  }

  async recordAccountFailure(email: string): Promise<void> {
    const key = accountKey(email);
    await Promise.all([this.accountShort.penalty(key), this.accountLong.penalty(key)]);
  }

  /** A successful login clears the account's failure count. */
  async clearAccount(email: string): Promise<void> {
    const key = accountKey(email);
    await Promise.all([this.accountShort.delete(key), this.accountLong.delete(key)]);
  }
}

// Emails are not kept in the store, and every key fits its 255 characters.
const accountKey = (email: string) => createHash('sha256').update(email).digest('base64url');

function toError(rejection: unknown): Error {
  if (rejection instanceof RateLimiterRes) return rateLimited(rejection.msBeforeNext);
  return rejection instanceof Error ? rejection : new Error(String(rejection));
}

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
