import { ACCOUNT_LIMITS, AUTH_OPERATIONS, MAIL_LIMITS, perIpLimitKey, type AccountLimit, type AuthOperation, type MailLimit } from './operations';
import type { EnvReader, RateLimit } from './env';

/** One limit per auth operation per client IP (loginPerIp, ...) and the per-account ones: src/config/operations.ts. */
export type RateLimitsConfig = { readonly [Name in AuthOperation as `${Name}PerIp`]: RateLimit } & {
  readonly [Name in AccountLimit | MailLimit]: RateLimit;
};

export interface LimitsConfig {
  /** Unset: rate limits live in PostgreSQL. */
  readonly redisUrl: string | undefined;
  readonly rateLimits: RateLimitsConfig;
  readonly graphqlLimits: {
    readonly maxDepth: number;
    readonly maxAliases: number;
    readonly maxTokens: number;
    readonly maxDirectives: number;
    readonly maxCost: number;
    /** Auth fields (AUTH_OPERATIONS marked authField: login, register, ...) allowed in one operation. */
    readonly authFieldsPerOperation: number;
  };
}

export function readLimits(r: EnvReader): LimitsConfig {
  const redisUrl = r.env.REDIS_URL?.trim();
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) r.problem('REDIS_URL must be a redis:// or rediss:// URL');
  return {
    redisUrl: redisUrl || undefined,
    rateLimits: Object.fromEntries([
      ...AUTH_OPERATIONS.map(({ name, limitVariable, defaultLimit }) => [perIpLimitKey(name), r.rate(limitVariable, defaultLimit)]),
      ...ACCOUNT_LIMITS.map(({ name, limitVariable, defaultLimit }) => [name, r.rate(limitVariable, defaultLimit)]),
      ...MAIL_LIMITS.map(({ name, limitVariable, defaultLimit }) => [name, r.rate(limitVariable, defaultLimit)]),
    ]) as RateLimitsConfig,
    graphqlLimits: {
      maxDepth: r.int('GRAPHQL_MAX_DEPTH', 10, 2, 100),
      maxAliases: r.int('GRAPHQL_MAX_ALIASES', 15, 0, 1000),
      maxTokens: r.int('GRAPHQL_MAX_TOKENS', 1000, 50, 100_000),
      maxDirectives: r.int('GRAPHQL_MAX_DIRECTIVES', 20, 0, 1000),
      maxCost: r.int('GRAPHQL_MAX_COST', 5000, 10, 1_000_000),
      authFieldsPerOperation: r.int('AUTH_FIELDS_PER_OPERATION', 1, 1, 10),
    },
  };
}
