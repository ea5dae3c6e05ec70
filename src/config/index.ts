import { readAuthCache, type AuthCacheConfig } from './auth-cache';
import { readDatabase, type DatabaseConfig } from './database';
import { ConfigError, deepFreeze, EnvReader, type Env } from './env';
import { readEvents, type EventsConfig } from './events';
import { readHttp, type HttpConfig } from './http';
import { readJwt, type JwtConfig } from './jwt';
import { readLimits, type LimitsConfig } from './limits';
import { readLive, type LiveConfig } from './live';
import { readMail, type MailConfig } from './mail';
import { readMfa, type MfaConfig } from './mfa';
import { readObservability, type ObservabilityConfig } from './observability';
import { readPasswords, type PasswordsConfig } from './passwords';
import { readProcesses, type ProcessesConfig } from './processes';
import { readRecovery, type RecoveryConfig } from './recovery';
import { readRuntime, type RuntimeConfig } from './runtime';
import { readSessions, type SessionsConfig } from './sessions';
import { readWebAuthn, type WebAuthnConfig } from './webauthn';

// The only reader of process.env. Each area's file reads and checks its variables; here they are composed,
// every problem is reported at once, and the result is frozen. Loading writes nothing anywhere (the
// development secret is start-up's job: dev-secret.ts).

export { ConfigError, parseDuration, type RateLimit } from './env';
export { ensureDevelopmentEncryptionKey, ensureDevelopmentSecret } from './dev-secret';
export { JWT_ALGORITHMS, JWT_SECRET_MIN_BYTES, type JwtAlgorithm, type JwtKeyConfig } from './jwt';
export { threadPoolSize } from './processes';
export type { SmtpConfig, SmtpTls } from './mail';
export type { NodeEnv } from './runtime';

export interface Config
  extends
    RuntimeConfig,
    HttpConfig,
    ObservabilityConfig,
    ProcessesConfig,
    DatabaseConfig,
    JwtConfig,
    PasswordsConfig,
    SessionsConfig,
    EventsConfig,
    LimitsConfig,
    LiveConfig,
    AuthCacheConfig,
    MailConfig,
    RecoveryConfig,
    MfaConfig,
    WebAuthnConfig {}

/**
 * Reads and validates the environment. `env` defaults to process.env; tests pass their own.
 * Collects every problem before failing so one start-up shows all of them.
 */
export function loadConfig(env: Env = process.env): Config {
  const r = new EnvReader(env);
  const runtime = readRuntime(r);
  const database = readDatabase(r);
  const passwords = readPasswords(r, runtime.production);
  const jwt = readJwt(r, runtime.production, database.dataDir);
  const processes = readProcesses(r, database.databaseUrl);
  const observability = readObservability(r, runtime.nodeEnv);
  const http = readHttp(r);
  const sessions = readSessions(r);
  const events = readEvents(r);
  const limits = readLimits(r);
  const live = readLive(r);
  const authCache = readAuthCache(r);
  const mail = readMail(r, runtime.production);
  const recovery = readRecovery(r, runtime.production, mail.mail.enabled);
  const mfa = readMfa(r, runtime.production, database.dataDir);
  const webauthn = readWebAuthn(r, runtime.production);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze({
    ...runtime,
    ...http,
    ...observability,
    ...processes,
    ...database,
    ...jwt,
    ...passwords,
    ...sessions,
    ...events,
    ...limits,
    ...live,
    ...authCache,
    ...mail,
    ...recovery,
    ...mfa,
    ...webauthn,
  });
}
