import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ensureDevelopmentSecret, loadConfig, parseDuration } from '../../src/config';

const SECRET = 'Zq8vJ2mX4pLr7tYw1nB5cK9dF3gH6sA0';
/** Start-up's configuration: loaded, then the development secret resolved (main.ts, createGatehouse, the CLI). */
const startupConfig = (env: Record<string, string>) => ensureDevelopmentSecret(loadConfig(env));
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    startupConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('loadConfig', () => {
  it('has documented defaults', () => {
    const config = loadConfig({ JWT_SECRET: SECRET });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      production: false,
      exposeStackTraces: false,
      host: '127.0.0.1',
      port: 4000,
      databaseUrl: undefined,
      migrateOnStart: true,
      bcryptCost: 12,
      bodyLimitBytes: 100 * 1024,
      trustProxy: false,
      passwords: { minLength: 8, breachedApi: undefined },
      rateLimits: { loginPerIp: { points: 30, durationSeconds: 60 }, accountFailuresShort: { points: 5, durationSeconds: 60 } },
      graphqlLimits: { maxDepth: 10, authFieldsPerOperation: 1 },
      sessions: { idleTimeoutSeconds: 7 * 86400, absoluteLifetimeSeconds: 30 * 86400, reuseGraceSeconds: 10, cookie: false },
      jwt: { issuer: 'gatehouse', audience: 'gatehouse', accessTokenTtlSeconds: 900, clockToleranceSeconds: 5 },
    });
    expect(Object.isFrozen(config) && Object.isFrozen(config.jwt)).toBe(true);
  });

  it('shows stack traces only when NODE_ENV=development is set explicitly', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, NODE_ENV: 'development' }).exposeStackTraces).toBe(true);
    expect(loadConfig({ JWT_SECRET: SECRET, NODE_ENV: 'test' }).exposeStackTraces).toBe(false);
  });

  it('requires JWT_SECRET and a bcrypt cost of at least 10 in production, reporting every problem at once', () => {
    expect(problemsOf({ NODE_ENV: 'production', BCRYPT_COST: '4' })).toEqual([
      'BCRYPT_COST must be at least 10 when NODE_ENV=production (got 4)',
      expect.stringMatching(/^JWT_SECRET is required when NODE_ENV=production/),
    ]);
    expect(problemsOf({ NODE_ENV: 'production', JWT_SECRET: SECRET })).toEqual([]);
  });

  it('rejects a JWT_SECRET shorter than 32 bytes of UTF-8, or one that is plainly not random', () => {
    expect(problemsOf({ JWT_SECRET: SECRET.slice(0, 31) })).toEqual([expect.stringMatching(/at least 32 bytes/)]);
    // 11 three-byte characters are 33 bytes.
    expect(problemsOf({ JWT_SECRET: '€₩₹₽₺₴₦₱₿₪₫' })).toEqual([]);
    expect(problemsOf({ JWT_SECRET: 'a'.repeat(64) })).toEqual([expect.stringMatching(/placeholder/)]);
    expect(problemsOf({ JWT_SECRET: 'changeme'.repeat(4) })).toEqual([expect.stringMatching(/placeholder/)]);
  });

  it.each([
    ['PORT', '70000'],
    ['BCRYPT_COST', '3'],
    ['BCRYPT_COST', '16'],
    ['JWT_CLOCK_TOLERANCE', '31'],
    ['ACCESS_TOKEN_TTL', 'soon'],
    ['ACCESS_TOKEN_TTL', '5s'],
    ['MIGRATE_ON_START', 'maybe'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['NODE_ENV', 'staging'],
    ['DATABASE_POOL_MAX', '1'],
    ['RATE_LIMIT_LOGIN_IP', 'lots'],
    ['RATE_LIMIT_ACCOUNT_FAILURES', '0/1m'],
    ['TRUST_PROXY', 'everyone'],
    ['JWT_ALGORITHM', 'none'],
    ['REDIS_URL', 'http://localhost'],
    ['BREACHED_PASSWORD_API', 'ftp://x'],
  ])('rejects %s=%s with a message naming it', (name, value) => {
    expect(problemsOf({ JWT_SECRET: SECRET, [name]: value })).toEqual([expect.stringContaining(name)]);
  });

  it('reads TRUST_PROXY as off, a hop count, or addresses and CIDRs', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ JWT_SECRET: SECRET, TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
    expect(problemsOf({ JWT_SECRET: SECRET, TRUST_PROXY: 'true' })).toEqual([expect.stringMatching(/TRUST_PROXY=true/)]);
    for (const everyone of ['0.0.0.0/0', '::/0'])
      expect(problemsOf({ JWT_SECRET: SECRET, TRUST_PROXY: everyone })).toEqual([expect.stringMatching(/every address/)]);
    for (const bad of ['cafe', '10.0.0.0/99', '11', '1.2.3.4/x']) expect(problemsOf({ JWT_SECRET: SECRET, TRUST_PROXY: bad })).toHaveLength(1);
  });

  it('parses durations', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, ACCESS_TOKEN_TTL: '1h' }).jwt.accessTokenTtlSeconds).toBe(3600);
    expect([parseDuration('900'), parseDuration('15m'), parseDuration('90s'), parseDuration('2H')]).toEqual([900, 900, 90, 7200]);
    expect(parseDuration('1.5h')).toBeUndefined();
  });

  it('generates a secret once outside production, keeps it private in DATA_DIR and reuses it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-config-'));
    const first = startupConfig({ DATA_DIR: dataDir });
    expect(first.jwt.secretSource).toBe('generated');
    expect(Buffer.byteLength(first.jwt.secret)).toBeGreaterThanOrEqual(32);
    const file = join(dataDir, 'jwt-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.jwt.secret);
    const second = startupConfig({ DATA_DIR: dataDir });
    expect(second.jwt).toMatchObject({ secret: first.jwt.secret, secretSource: 'file' });

    chmodSync(file, 0o644);
    expect(problemsOf({ DATA_DIR: dataDir })).toEqual([expect.stringMatching(/readable by its owner only/)]);
  });

  it('writes nothing while loading: the development secret is left to start-up', () => {
    const parent = mkdtempSync(join(tmpdir(), 'gh-config-'));
    const dataDir = join(parent, 'data');
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config.jwt).toMatchObject({ secret: '', secretSource: 'pending', secretFile: join(dataDir, 'jwt-secret') });
    expect(existsSync(dataDir)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
    // A secret already resolved (JWT_SECRET) is left as it is, and nothing is written either.
    const fromEnv = loadConfig({ JWT_SECRET: SECRET, DATA_DIR: dataDir });
    expect(ensureDevelopmentSecret(fromEnv)).toBe(fromEnv);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('operations settings', () => {
  const base = { JWT_SECRET: 'k'.repeat(8) + 'abcdefghijklmnopqrstuvwxyz0123456789', NODE_ENV: 'test' };
  it('takes exact CORS origins and refuses "*" or a path', () => {
    expect(loadConfig({ ...base, CORS_ORIGINS: 'http://localhost:5173, https://app.example.com' }).corsOrigins).toEqual([
      'http://localhost:5173',
      'https://app.example.com',
    ]);
    expect(() => loadConfig({ ...base, CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ ...base, CORS_ORIGINS: 'https://app.example.com/login' })).toThrow(/CORS_ORIGINS/);
  });
  it('serves the admin console unless ADMIN_CONSOLE=false, in production too', () => {
    expect(loadConfig(base).adminConsole).toBe(true);
    expect(loadConfig({ ...base, ADMIN_CONSOLE: 'false' }).adminConsole).toBe(false);
    expect(() => loadConfig({ ...base, ADMIN_CONSOLE: 'off' })).toThrow(/ADMIN_CONSOLE must be true or false/);
  });
  it('runs several workers only on a shared PostgreSQL', () => {
    expect(loadConfig({ ...base, DATABASE_URL: 'postgresql://x@h/db', WORKERS: '2' }).workers).toBe(2);
    expect(loadConfig({ ...base, DATABASE_URL: 'postgresql://x@h/db', WORKERS: 'auto' }).workers).toBeGreaterThanOrEqual(1);
    expect(() => loadConfig({ ...base, WORKERS: '2' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ ...base, WORKERS: '0' })).toThrow(/WORKERS/);
  });
  it('keeps /metrics off unless a port or a long token is given', () => {
    expect(loadConfig(base).metrics).toEqual({ port: undefined, token: undefined });
    expect(loadConfig({ ...base, METRICS_PORT: '9464' }).metrics.port).toBe(9464);
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
  it('bounds every HTTP connection in time and in number', () => {
    expect(loadConfig(base).http).toEqual({ requestTimeoutSeconds: 30, headersTimeoutSeconds: 10, keepAliveTimeoutSeconds: 5, maxConnections: 1024 });
    const env = { ...base, REQUEST_TIMEOUT: '1m', HEADERS_TIMEOUT: '5s', KEEP_ALIVE_TIMEOUT: '65s', MAX_CONNECTIONS: '10000' };
    expect(loadConfig(env).http).toEqual({ requestTimeoutSeconds: 60, headersTimeoutSeconds: 5, keepAliveTimeoutSeconds: 65, maxConnections: 10000 });
    expect(problemsOf({ ...base, REQUEST_TIMEOUT: '0', KEEP_ALIVE_TIMEOUT: 'forever', MAX_CONNECTIONS: '0' })).toEqual([
      expect.stringMatching(/^REQUEST_TIMEOUT must be a duration .* from 1s to 300s \(got "0"\)/),
      expect.stringMatching(/^KEEP_ALIVE_TIMEOUT must be a duration/),
      expect.stringMatching(/^MAX_CONNECTIONS must be a whole number from 1 to 1000000/),
    ]);
    expect(problemsOf({ ...base, REQUEST_TIMEOUT: '5s', HEADERS_TIMEOUT: '10s' })).toEqual([
      'HEADERS_TIMEOUT (10s) must not be longer than REQUEST_TIMEOUT (5s)',
    ]);
  });
  it("bounds the live channel, with README's defaults", () => {
    expect(loadConfig(base).live).toEqual({
      maxConnectionsPerUser: 20,
      maxConnectionsPerIp: 200,
      maxSubscriptions: 10,
      maxMessageBytes: 65_536,
      pingIntervalSeconds: 30,
      pongTimeoutSeconds: 10,
      maxBufferedBytes: 1_048_576,
      maxQueuedEvents: 100,
      initTimeoutSeconds: 3,
    });
    expect(problemsOf({ ...base, LIVE_MAX_CONNECTIONS_PER_USER: '0', LIVE_MAX_MESSAGE_BYTES: '10', LIVE_PING_INTERVAL: 'often' })).toEqual([
      expect.stringMatching(/^LIVE_MAX_CONNECTIONS_PER_USER must be a whole number from 1 to 100000/),
      expect.stringMatching(/^LIVE_MAX_MESSAGE_BYTES must be a whole number from 1024/),
      expect.stringMatching(/^LIVE_PING_INTERVAL must be a duration/),
    ]);
  });
});
