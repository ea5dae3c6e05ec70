import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve, join } from 'node:path';

// The only reader of process.env. Everything is parsed and validated once, then frozen.

export type NodeEnv = 'production' | 'development' | 'test';

export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly production: boolean;
  /** Stack traces in GraphQL responses: only when NODE_ENV=development is set explicitly. */
  readonly exposeStackTraces: boolean;
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  /** JSON lines (production, tests) or pino-pretty's readable lines (development). */
  readonly logFormat: 'json' | 'pretty';
  /** Processes serving the port (node:cluster); more than one needs DATABASE_URL. */
  readonly workers: number;
  /** libuv threads per process (UV_THREADPOOL_SIZE), where bcrypt runs; see threadPoolSize(). */
  readonly threadPoolSize: number;
  /** Unset: the embedded PostgreSQL (PGlite) with its files in dataDir. */
  readonly databaseUrl: string | undefined;
  readonly databasePoolMax: number;
  readonly dataDir: string;
  readonly migrateOnStart: boolean;
  readonly jwt: {
    readonly secret: string;
    /** Where the secret came from, for the start-up log. */
    readonly secretSource: 'env' | 'generated' | 'file';
    readonly issuer: string;
    readonly audience: string;
    readonly accessTokenTtlSeconds: number;
    readonly clockToleranceSeconds: number;
    readonly algorithm: JwtAlgorithm;
    /** Signing keys, newest first: the first signs, all verify. Unset: one HS256 key, JWT_SECRET. */
    readonly keys: readonly JwtKeyConfig[] | undefined;
  };
  readonly bcryptCost: number;
  readonly passwords: {
    readonly minLength: number;
    /** Base URL of a k-anonymity range API (e.g. https://api.pwnedpasswords.com/range); unset: off. */
    readonly breachedApi: string | undefined;
    readonly breachedTimeoutMs: number;
  };
  readonly sessions: {
    /** A session whose refresh token is unused this long ends. */
    readonly idleTimeoutSeconds: number;
    /** A session ends this long after login, however active. */
    readonly absoluteLifetimeSeconds: number;
    /** A rotated refresh token presented again within this window gets the same new token. */
    readonly reuseGraceSeconds: number;
    /** Also send the refresh token in an HttpOnly cookie, and leave it out of response bodies. */
    readonly cookie: boolean;
  };
  readonly securityEventRetentionSeconds: number;
  /** Repeats of the same security event within this window are counted on one row. */
  readonly securityEventDedupeSeconds: number;
  /** Security events kept in memory while the database is unavailable, written when it is back. */
  readonly securityEventQueueMax: number;
  readonly alertWebhook: { readonly url: string; readonly secret: string } | undefined;
  /** How often the housekeeping purge (revocations, sessions, events) runs. */
  readonly purgeIntervalSeconds: number;
  readonly bodyLimitBytes: number;
  /** How long a shutdown waits for requests in flight before cutting connections. */
  readonly shutdownGraceSeconds: number;
  /** The HTTP listener's timeouts and connection limit, per process. */
  readonly http: {
    /** Receiving a whole request, headers and body, may take this long; then 408 and the connection is cut. */
    readonly requestTimeoutSeconds: number;
    /** Receiving a request's headers (or a new connection's first request) may take this long. */
    readonly headersTimeoutSeconds: number;
    /** An idle keep-alive connection is closed after this long. */
    readonly keepAliveTimeoutSeconds: number;
    /** Open connections at most; more are closed as soon as they are accepted. */
    readonly maxConnections: number;
  };
  /** Unset: rate limits live in PostgreSQL. */
  readonly redisUrl: string | undefined;
  /** fastify's trustProxy: false, a hop count, or the proxies' addresses and CIDRs. Never "trust everyone". */
  readonly trustProxy: false | number | string[];
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
  /** Browser origins allowed to call /graphql (with credentials); empty: no CORS headers at all. */
  readonly corsOrigins: readonly string[];
  /** Prometheus /metrics: on its own port, behind a bearer token on the main port, or off (both unset). */
  readonly metrics: { readonly port: number | undefined; readonly token: string | undefined };
  /** The in-process cache of token, session and user state, kept correct by database notifications. */
  readonly authCache: { readonly enabled: boolean; readonly maxEntries: number };
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

export const JWT_ALGORITHMS = ['HS256', 'ES256', 'RS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** One entry of JWT_KEYS: a `secret` (HS256), or a PEM `privateKey` / `publicKey` (ES256, RS256). */
export interface JwtKeyConfig {
  readonly kid: string;
  readonly secret?: string;
  readonly privateKey?: string;
  readonly publicKey?: string;
}

/** "points/duration", e.g. "20/1m": at most 20 in any minute-long window. */
export interface RateLimit {
  readonly points: number;
  readonly durationSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export const JWT_SECRET_MIN_BYTES = 32;
const MAX_CLOCK_TOLERANCE_SECONDS = 30;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses "900", "900s", "15m", "1h", "7d" into seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([smhd])?\s*$/i.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[(match[2] ?? 's').toLowerCase()];
}

/**
 * Reads and validates the environment. `env` defaults to process.env; tests pass their own.
 * Collects every problem before failing so one start-up shows all of them.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const str = (name: string, fallback: string): string => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? fallback : value.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name, String(fallback));
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name, String(fallback)).toLowerCase();
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };
  const duration = (name: string, fallback: string, minSeconds: number, maxSeconds: number): number => {
    const raw = str(name, fallback);
    const seconds = parseDuration(raw);
    if (seconds === undefined || seconds < minSeconds || seconds > maxSeconds) {
      problems.push(
        `${name} must be a duration such as 900, 900s, 15m, 1h or 7d, from ${minSeconds}s to ${maxSeconds}s (got "${raw}")`,
      );
      return parseDuration(fallback)!;
    }
    return seconds;
  };

  const parseRate = (text: string): RateLimit | undefined => {
    const match = /^(\d+)\s*\/\s*(.+)$/.exec(text);
    const durationSeconds = match ? parseDuration(match[2]) : undefined;
    return match && Number(match[1]) >= 1 && durationSeconds ? { points: Number(match[1]), durationSeconds } : undefined;
  };
  const rate = (name: string, fallback: string): RateLimit => {
    const raw = str(name, fallback);
    const parsed = parseRate(raw);
    if (!parsed) problems.push(`${name} must look like 20/1m (attempts per duration) (got "${raw}")`);
    return parsed ?? parseRate(fallback)!;
  };
  const redisUrl = env.REDIS_URL?.trim();
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL must be a redis:// or rediss:// URL');

  const nodeEnvRaw = str('NODE_ENV', 'development');
  if (!['production', 'development', 'test'].includes(nodeEnvRaw)) {
    problems.push(`NODE_ENV must be production, development or test (got "${nodeEnvRaw}")`);
  }
  const nodeEnv = (['production', 'test'].includes(nodeEnvRaw) ? nodeEnvRaw : 'development') as NodeEnv;
  const production = nodeEnv === 'production';

  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const dataDir = resolve(str('DATA_DIR', '.data'));

  const breachedApi = env.BREACHED_PASSWORD_API?.trim();
  if (breachedApi && !/^https?:\/\//.test(breachedApi)) problems.push('BREACHED_PASSWORD_API must be an http:// or https:// URL');

  const bcryptCost = int('BCRYPT_COST', 12, 4, 15);
  if (production && bcryptCost < 10) {
    problems.push(`BCRYPT_COST must be at least 10 when NODE_ENV=production (got ${bcryptCost})`);
  }

  const secret = readJwtSecret(env, production, dataDir, problems);
  const algorithmRaw = str('JWT_ALGORITHM', 'HS256').toUpperCase() as JwtAlgorithm;
  if (!JWT_ALGORITHMS.includes(algorithmRaw)) problems.push(`JWT_ALGORITHM must be one of ${JWT_ALGORITHMS.join(', ')}`);
  const jwtAlgorithm = JWT_ALGORITHMS.includes(algorithmRaw) ? algorithmRaw : 'HS256';

  const workers = readWorkers(str('WORKERS', '1'), databaseUrl, problems);
  const config: Config = {
    nodeEnv,
    production,
    exposeStackTraces: env.NODE_ENV === 'development',
    host: str('HOST', '127.0.0.1'),
    port: int('PORT', 4000, 0, 65535),
    logLevel: str('LOG_LEVEL', nodeEnv === 'test' ? 'silent' : 'info'),
    logFormat: readLogFormat(str('LOG_FORMAT', nodeEnv === 'development' ? 'pretty' : 'json'), problems),
    workers,
    threadPoolSize: int('UV_THREADPOOL_SIZE', threadPoolSize(workers), 1, 1024),
    databaseUrl,
    databasePoolMax: int('DATABASE_POOL_MAX', 10, 2, 200),
    dataDir,
    migrateOnStart: bool('MIGRATE_ON_START', true),
    jwt: {
      secret: secret.value,
      secretSource: secret.source,
      issuer: str('JWT_ISSUER', 'gatehouse'),
      audience: str('JWT_AUDIENCE', 'gatehouse'),
      accessTokenTtlSeconds: duration('ACCESS_TOKEN_TTL', '15m', 10, 24 * 3600),
      clockToleranceSeconds: int('JWT_CLOCK_TOLERANCE', 5, 0, MAX_CLOCK_TOLERANCE_SECONDS),
      algorithm: jwtAlgorithm,
      keys: readJwtKeys(env, jwtAlgorithm, problems),
    },
    bcryptCost,
    passwords: {
      minLength: int('PASSWORD_MIN_LENGTH', 8, 8, 64),
      breachedApi: breachedApi || undefined,
      breachedTimeoutMs: int('BREACHED_PASSWORD_TIMEOUT_MS', 2000, 100, 30_000),
    },
    sessions: {
      idleTimeoutSeconds: duration('SESSION_IDLE_TIMEOUT', '7d', 60, 365 * 86400),
      absoluteLifetimeSeconds: duration('SESSION_LIFETIME', '30d', 60, 365 * 86400),
      reuseGraceSeconds: duration('REFRESH_REUSE_GRACE', '10s', 0, 60),
      cookie: bool('REFRESH_TOKEN_COOKIE', false),
    },
    securityEventRetentionSeconds: duration('SECURITY_EVENT_RETENTION', '90d', 86400, 10 * 365 * 86400),
    securityEventDedupeSeconds: duration('SECURITY_EVENT_DEDUPE_WINDOW', '1m', 1, 86400),
    securityEventQueueMax: int('SECURITY_EVENT_QUEUE_MAX', 10_000, 1, 1_000_000),
    alertWebhook: readAlertWebhook(env, problems),
    purgeIntervalSeconds: duration('PURGE_INTERVAL', '10m', 1, 24 * 3600),
    bodyLimitBytes: int('BODY_LIMIT', 100 * 1024, 1024, 64 * 1024 * 1024),
    shutdownGraceSeconds: duration('SHUTDOWN_GRACE', '10s', 1, 300),
    http: readHttpLimits(duration, int, problems),
    redisUrl: redisUrl || undefined,
    trustProxy: readTrustProxy(str('TRUST_PROXY', 'false'), problems),
    rateLimits: {
      loginPerIp: rate('RATE_LIMIT_LOGIN_IP', '30/1m'),
      registerPerIp: rate('RATE_LIMIT_REGISTER_IP', '10/1h'),
      refreshPerIp: rate('RATE_LIMIT_REFRESH_IP', '120/1m'),
      changePasswordPerIp: rate('RATE_LIMIT_PASSWORD_CHANGE_IP', '10/1h'),
      accountFailuresShort: rate('RATE_LIMIT_ACCOUNT_FAILURES', '5/1m'),
      accountFailuresLong: rate('RATE_LIMIT_ACCOUNT_LOCKOUT', '20/1h'),
    },
    corsOrigins: readCorsOrigins(str('CORS_ORIGINS', ''), problems),
    metrics: readMetrics(env, problems),
    authCache: {
      enabled: bool('AUTH_CACHE', true),
      maxEntries: int('AUTH_CACHE_MAX_ENTRIES', 100_000, 100, 10_000_000),
    },
    graphqlLimits: {
      maxDepth: int('GRAPHQL_MAX_DEPTH', 10, 2, 100),
      maxAliases: int('GRAPHQL_MAX_ALIASES', 15, 0, 1000),
      maxTokens: int('GRAPHQL_MAX_TOKENS', 1000, 50, 100_000),
      maxDirectives: int('GRAPHQL_MAX_DIRECTIVES', 20, 0, 1000),
      maxCost: int('GRAPHQL_MAX_COST', 5000, 10, 1_000_000),
      authFieldsPerOperation: int('AUTH_FIELDS_PER_OPERATION', 1, 1, 10),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/**
 * JWT_SECRET is required in production. Elsewhere a missing secret is generated once and kept in
 * DATA_DIR (mode 0600) so tokens survive restarts; main.ts logs a warning when that happens.
 */
function readJwtSecret(
  env: Env,
  production: boolean,
  dataDir: string,
  problems: string[],
): { value: string; source: Config['jwt']['secretSource'] } {
  const fromEnv = env.JWT_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') {
    checkSecretStrength(fromEnv, 'JWT_SECRET', problems);
    return { value: fromEnv, source: 'env' };
  }
  if (production) {
    problems.push('JWT_SECRET is required when NODE_ENV=production (try: openssl rand -base64 48)');
    return { value: '', source: 'env' };
  }
  const file = join(dataDir, 'jwt-secret');
  let source: Config['jwt']['secretSource'] = 'file';
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Written whole to a private temporary file, then linked into place: a process starting at the same
    // moment sees either no file or the complete one, and the first link wins.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600 });
    try {
      linkSync(temporary, file);
      source = 'generated';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    problems.push(`${file} must be readable by its owner only (chmod 600 ${file})`);
  }
  const value = readFileSync(file, 'utf8').trim();
  checkSecretStrength(value, file, problems);
  return { value, source };
}

/** JWT_KEYS (JSON) or JWT_KEYS_FILE (a JSON file): `[{"kid": "...", "secret"|"privateKey"|"publicKey": "..."}]`. */
function readJwtKeys(env: Env, algorithm: JwtAlgorithm, problems: string[]): JwtKeyConfig[] | undefined {
  let text = env.JWT_KEYS?.trim();
  const file = env.JWT_KEYS_FILE?.trim();
  if (!text && file) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push(`JWT_KEYS_FILE cannot be read: ${(error as Error).message}`);
      return undefined;
    }
  }
  if (!text) {
    if (algorithm !== 'HS256') problems.push(`JWT_ALGORITHM=${algorithm} needs its keys in JWT_KEYS or JWT_KEYS_FILE`);
    return undefined;
  }
  let keys: JwtKeyConfig[];
  try {
    keys = JSON.parse(text) as JwtKeyConfig[];
  } catch {
    problems.push('JWT_KEYS must be a JSON array of {"kid", "secret" | "privateKey" | "publicKey"}');
    return undefined;
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    problems.push('JWT_KEYS must list at least one key, the signing key first');
    return undefined;
  }
  const kids = new Set<string>();
  keys.forEach((key, index) => {
    const where = `JWT_KEYS[${index}]`;
    if (typeof key?.kid !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(key.kid)) problems.push(`${where}.kid must be 1-64 of A-Z a-z 0-9 . _ -`);
    else if (kids.has(key.kid)) problems.push(`${where}.kid "${key.kid}" is listed twice`);
    else kids.add(key.kid);
    if (algorithm === 'HS256') {
      if (typeof key?.secret !== 'string') problems.push(`${where} needs a "secret" for HS256`);
      else checkSecretStrength(key.secret, `${where}.secret`, problems);
    } else if (index === 0 && typeof key?.privateKey !== 'string') {
      problems.push(`${where} is the signing key and needs a PEM "privateKey" for ${algorithm}`);
    } else if (typeof key?.privateKey !== 'string' && typeof key?.publicKey !== 'string') {
      problems.push(`${where} needs a PEM "privateKey" or "publicKey" for ${algorithm}`);
    }
  });
  return keys;
}

type ReadDuration = (name: string, fallback: string, minSeconds: number, maxSeconds: number) => number;
type ReadInt = (name: string, fallback: number, min: number, max: number) => number;

function readHttpLimits(duration: ReadDuration, int: ReadInt, problems: string[]): Config['http'] {
  const requestTimeoutSeconds = duration('REQUEST_TIMEOUT', '30s', 1, 300);
  const headersTimeoutSeconds = duration('HEADERS_TIMEOUT', '10s', 1, 300);
  // The headers are part of the request: node refuses a headers deadline later than the whole request's.
  if (headersTimeoutSeconds > requestTimeoutSeconds) {
    problems.push(`HEADERS_TIMEOUT (${headersTimeoutSeconds}s) must not be longer than REQUEST_TIMEOUT (${requestTimeoutSeconds}s)`);
  }
  return {
    requestTimeoutSeconds,
    headersTimeoutSeconds,
    keepAliveTimeoutSeconds: duration('KEEP_ALIVE_TIMEOUT', '5s', 1, 600),
    maxConnections: int('MAX_CONNECTIONS', 1024, 1, 1_000_000),
  };
}

const MAX_TRUSTED_HOPS = 10;

function readTrustProxy(raw: string, problems: string[]): Config['trustProxy'] {
  if (['false', 'no', '0', ''].includes(raw.toLowerCase())) return false;
  if (/^\d+$/.test(raw)) {
    if (Number(raw) > MAX_TRUSTED_HOPS) problems.push(`TRUST_PROXY hop count must be at most ${MAX_TRUSTED_HOPS}`);
    return Number(raw);
  }
  if (['true', 'yes', '*'].includes(raw.toLowerCase())) {
    problems.push('TRUST_PROXY=true would let any client pick its own IP; give a hop count or the proxies\' addresses/CIDRs');
    return false;
  }
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) continue;
    const [address, prefix] = entry.split('/');
    const version = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const maxBits = version === 6 ? 128 : 32;
    if (!version || (bits !== undefined && (!/^\d+$/.test(prefix) || bits > maxBits))) {
      problems.push(`TRUST_PROXY entry "${entry}" is not an IP address, CIDR or one of loopback, linklocal, uniquelocal`);
    } else if (bits === 0) {
      problems.push(`TRUST_PROXY entry "${entry}" would trust every address`);
    }
  }
  return entries;
}

function readAlertWebhook(env: Env, problems: string[]): Config['alertWebhook'] {
  const url = env.ALERT_WEBHOOK_URL?.trim();
  if (!url) return undefined;
  if (!/^https?:\/\//.test(url)) problems.push('ALERT_WEBHOOK_URL must be an http:// or https:// URL');
  const secret = env.ALERT_WEBHOOK_SECRET ?? '';
  if (Buffer.byteLength(secret, 'utf8') < JWT_SECRET_MIN_BYTES) {
    problems.push(`ALERT_WEBHOOK_SECRET must be set, at least ${JWT_SECRET_MIN_BYTES} bytes, when ALERT_WEBHOOK_URL is set`);
  }
  return { url, secret };
}

function readLogFormat(raw: string, problems: string[]): Config['logFormat'] {
  if (raw === 'json' || raw === 'pretty') return raw;
  problems.push(`LOG_FORMAT must be json or pretty (got "${raw}")`);
  return 'json';
}

const MAX_WORKERS = 64;

/**
 * bcrypt hashes on libuv's thread pool, whose default of 4 threads would take every core of a small
 * machine during a burst of logins and leave `me` waiting behind them. Each process keeps one core's
 * worth for its event loop and hashes on the rest (at least one thread).
 */
export function threadPoolSize(workers: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / workers) - 1);
}

/** "auto" is one process per core the machine offers. */
function readWorkers(raw: string, databaseUrl: string | undefined, problems: string[]): number {
  const workers = raw.toLowerCase() === 'auto' ? availableParallelism() : Number(raw);
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    problems.push(`WORKERS must be "auto" or a whole number from 1 to ${MAX_WORKERS} (got "${raw}")`);
    return 1;
  }
  // The embedded database lives in one process and serves one server.
  if (workers > 1 && !databaseUrl) problems.push('WORKERS above 1 needs DATABASE_URL (the embedded database serves one process)');
  return workers;
}

/** Exact origins, "scheme://host[:port]": a browser sends nothing else, and "*" cannot carry cookies. */
function readCorsOrigins(raw: string, problems: string[]): string[] {
  const origins = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      problems.push(`CORS_ORIGINS entry "${origin}" must be an origin like https://app.example.com (no path, no "*")`);
    }
  }
  return origins;
}

function readMetrics(env: Env, problems: string[]): Config['metrics'] {
  const portRaw = env.METRICS_PORT?.trim();
  const port = portRaw ? Number(portRaw) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    problems.push(`METRICS_PORT must be a port number (got "${portRaw}")`);
  }
  const token = env.METRICS_TOKEN?.trim() || undefined;
  if (token !== undefined && Buffer.byteLength(token, 'utf8') < 16) problems.push('METRICS_TOKEN must be at least 16 bytes');
  return { port, token };
}

/** RFC 8725 3.5: the HMAC key must be long and random, not a word or a placeholder. */
function checkSecretStrength(secret: string, name: string, problems: string[]): void {
  if (Buffer.byteLength(secret, 'utf8') < JWT_SECRET_MIN_BYTES) {
    problems.push(`${name} must be at least ${JWT_SECRET_MIN_BYTES} bytes (try: openssl rand -base64 48)`);
  } else if (new Set(secret).size < 10) {
    problems.push(`${name} looks like a placeholder, not a random key (try: openssl rand -base64 48)`);
  }
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
