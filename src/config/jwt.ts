import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Env, EnvReader } from './env';

export const JWT_ALGORITHMS = ['HS256', 'ES256', 'RS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** One entry of JWT_KEYS: a `secret` (HS256), or a PEM `privateKey` / `publicKey` (ES256, RS256). */
export interface JwtKeyConfig {
  readonly kid: string;
  readonly secret?: string;
  readonly privateKey?: string;
  readonly publicKey?: string;
}

export interface JwtConfig {
  readonly jwt: {
    /**
     * JWT_SECRET: the HS256 key when JWT_KEYS is unset, and in every mode the root of the refresh-token
     * rotation key (services.ts: HKDF-SHA256 with its own label, so the two uses never share a key).
     * It stays the rotation root when JWT_KEYS signs, on purpose: it is required in production and
     * generated elsewhere whatever signs, so it is always there, and every deployment's rotation key has
     * been derived from it. Deriving it from anything else would make every refresh retried within
     * REFRESH_REUSE_GRACE across the change (or between instances on either side of a rolling upgrade)
     * miss its recomputed token and end its session as a theft (SessionService.rotate).
     * Empty while secretSource is 'pending': ensureDevelopmentSecret (dev-secret.ts) fills it at start-up.
     */
    readonly secret: string;
    /**
     * Where the secret came from, for the start-up log; 'pending': outside production with no JWT_SECRET,
     * to be read from secretFile, or generated into it, at start-up (loading the configuration writes nothing).
     */
    readonly secretSource: 'env' | 'generated' | 'file' | 'pending';
    /** DATA_DIR/jwt-secret when the secret is (to be) kept there; undefined when JWT_SECRET is set. */
    readonly secretFile: string | undefined;
    readonly issuer: string;
    readonly audience: string;
    readonly accessTokenTtlSeconds: number;
    readonly clockToleranceSeconds: number;
    readonly algorithm: JwtAlgorithm;
    /** Signing keys, newest first: the first signs, all verify. Unset: one HS256 key, JWT_SECRET. */
    readonly keys: readonly JwtKeyConfig[] | undefined;
  };
}

export const JWT_SECRET_MIN_BYTES = 32;
const MAX_CLOCK_TOLERANCE_SECONDS = 30;

/** Where a development secret is kept, in DATA_DIR. */
const DEVELOPMENT_SECRET_FILE = 'jwt-secret';

export function readJwt(r: EnvReader, production: boolean, dataDir: string): JwtConfig {
  const secret = readJwtSecret(r, production, dataDir);
  const algorithmRaw = r.str('JWT_ALGORITHM', 'HS256').toUpperCase() as JwtAlgorithm;
  if (!JWT_ALGORITHMS.includes(algorithmRaw)) r.problem(`JWT_ALGORITHM must be one of ${JWT_ALGORITHMS.join(', ')}`);
  const algorithm = JWT_ALGORITHMS.includes(algorithmRaw) ? algorithmRaw : 'HS256';
  return {
    jwt: {
      ...secret,
      issuer: r.str('JWT_ISSUER', 'gatehouse'),
      audience: r.str('JWT_AUDIENCE', 'gatehouse'),
      accessTokenTtlSeconds: r.duration('ACCESS_TOKEN_TTL', '15m', 10, 24 * 3600),
      clockToleranceSeconds: r.int('JWT_CLOCK_TOLERANCE', 5, 0, MAX_CLOCK_TOLERANCE_SECONDS),
      algorithm,
      keys: readJwtKeys(r.env, algorithm, r.problems),
    },
  };
}

/**
 * JWT_SECRET is required in production. Elsewhere a missing secret is kept in DATA_DIR so tokens survive
 * restarts; it is read or generated at start-up by ensureDevelopmentSecret, never while loading.
 */
function readJwtSecret(r: EnvReader, production: boolean, dataDir: string): Pick<JwtConfig['jwt'], 'secret' | 'secretSource' | 'secretFile'> {
  const fromEnv = r.env.JWT_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') {
    checkSecretStrength(fromEnv, 'JWT_SECRET', r.problems);
    return { secret: fromEnv, secretSource: 'env', secretFile: undefined };
  }
  if (production) {
    r.problem('JWT_SECRET is required when NODE_ENV=production (try: openssl rand -base64 48)');
    return { secret: '', secretSource: 'env', secretFile: undefined };
  }
  return { secret: '', secretSource: 'pending', secretFile: join(dataDir, DEVELOPMENT_SECRET_FILE) };
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

/** RFC 8725 3.5: the HMAC key must be long and random, not a word or a placeholder. */
export function checkSecretStrength(secret: string, name: string, problems: string[]): void {
  if (Buffer.byteLength(secret, 'utf8') < JWT_SECRET_MIN_BYTES) {
    problems.push(`${name} must be at least ${JWT_SECRET_MIN_BYTES} bytes (try: openssl rand -base64 48)`);
  } else if (new Set(secret).size < 10) {
    problems.push(`${name} looks like a placeholder, not a random key (try: openssl rand -base64 48)`);
  }
}
