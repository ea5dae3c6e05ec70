import type { EnvReader, RateLimit } from './env';

export interface LimitsConfig {
  /** Unset: rate limits live in PostgreSQL. */
  readonly redisUrl: string | undefined;
  readonly rateLimits: {
    readonly loginPerIp: RateLimit;
    readonly registerPerIp: RateLimit;
    readonly refreshPerIp: RateLimit;
    readonly changePasswordPerIp: RateLimit;
    /** Failed passwords per account: the slow-down step. */
    readonly accountFailuresShort: RateLimit;
    /** Failed passwords per account: the temporary block. */
    readonly accountFailuresLong: RateLimit;
  };
  readonly graphqlLimits: {
    readonly maxDepth: number;
    readonly maxAliases: number;
    readonly maxTokens: number;
    readonly maxDirectives: number;
    readonly maxCost: number;
    /** login, register, refresh and changePassword fields allowed in one operation. */
    readonly authFieldsPerOperation: number;
  };
}

export function readLimits(r: EnvReader): LimitsConfig {
  const redisUrl = r.env.REDIS_URL?.trim();
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) r.problem('REDIS_URL must be a redis:// or rediss:// URL');
  return {
    redisUrl: redisUrl || undefined,
    rateLimits: {
      loginPerIp: r.rate('RATE_LIMIT_LOGIN_IP', '30/1m'),
      registerPerIp: r.rate('RATE_LIMIT_REGISTER_IP', '10/1h'),
      refreshPerIp: r.rate('RATE_LIMIT_REFRESH_IP', '120/1m'),
      changePasswordPerIp: r.rate('RATE_LIMIT_PASSWORD_CHANGE_IP', '10/1h'),
      accountFailuresShort: r.rate('RATE_LIMIT_ACCOUNT_FAILURES', '5/1m'),
      accountFailuresLong: r.rate('RATE_LIMIT_ACCOUNT_LOCKOUT', '20/1h'),
    },
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
