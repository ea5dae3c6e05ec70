import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { join } from 'node:path';
import { migrationsList } from '../migrations';
import { RevokedToken } from './tokens/revoked-token.entity';
import { SecurityEvent } from './events/security-event.entity';
import { RateLimitEntry } from './limits/rate-limit-entry.entity';
import { EmailToken } from './recovery/email-token.entity';
import { RefreshToken } from './sessions/refresh-token.entity';
import { Session } from './sessions/session.entity';
import { User } from './users/user.entity';
import { OutboxMail } from './mail/outbox-mail.entity';
import { MfaChallengeRecord } from './mfa/mfa-challenge.entity';
import { RecoveryCode } from './mfa/recovery-code.entity';
import { TotpFactor } from './mfa/totp-factor.entity';
import { Passkey, PasskeyUserHandle } from './passkeys/passkey.entity';
import { WebAuthnChallenge } from './passkeys/webauthn-challenge.entity';
import { safeText } from './db/driver-errors';

export const entities = [
  User,
  RevokedToken,
  Session,
  RefreshToken,
  SecurityEvent,
  RateLimitEntry,
  OutboxMail,
  EmailToken,
  TotpFactor,
  RecoveryCode,
  MfaChallengeRecord,
  Passkey,
  PasskeyUserHandle,
  WebAuthnChallenge,
];

export interface OrmSettings {
  clientUrl: string;
  poolMax: number;
  /** Overrides the URL's host and port, e.g. a unix socket folder for the embedded database. */
  socket?: { host: string; port: number };
  /** Where the driver's own connection warnings go (knex prints them with console.log otherwise). */
  log?: { warn(object: object, message?: string): void; warn(message: string): void };
  debug?: boolean;
}

/**
 * knex's warnings quote errors ("Connection Error: <error>") whose message knex may have prefixed with the
 * failed SQL and its values: they go to the log through the same redaction as every logged error.
 */
function driverLog(log: NonNullable<OrmSettings['log']>) {
  return (message: unknown) =>
    typeof message === 'string' ? log.warn(safeText(message) ?? 'database driver warning') : log.warn({ err: message }, 'database driver warning');
}

/** The one MikroORM configuration, shared by the server, the CLI and the tests. */
export function ormOptions({ clientUrl, poolMax, socket, log, debug = false }: OrmSettings): Options {
  return defineConfig({
    clientUrl,
    entities,
    extensions: [Migrator],
    // Entities are listed explicitly: no folder discovery, no reflection of the TypeScript source.
    discovery: { warnWhenNoEntities: true },
    debug,
    // Resolvers get a forked EntityManager per request; using the global one is a bug.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    // Never create a database that does not exist: a typo in DATABASE_URL would otherwise start an empty
    // user base (`npx gatehouse migrate --create-database` creates one on purpose). ensureDatabase is
    // MikroORM's check at start; the migrator checks again on every run and creates the database from
    // its management database, so none is named.
    ensureDatabase: false,
    schemaGenerator: { managementDbName: '' },
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 30_000 },
    driverOptions: {
      // Fail fast while the database is unreachable instead of queueing requests for minutes.
      acquireConnectionTimeout: 5_000,
      connection: { connectionTimeoutMillis: 5_000, keepAlive: true, ...socket },
      ...(log && { log: { warn: driverLog(log), error: driverLog(log), deprecate: driverLog(log), debug: () => undefined } }),
    },
    migrations: {
      tableName: 'mikro_orm_migrations',
      silent: true,
      path: join(__dirname, '../migrations'),
      pathTs: join(__dirname, '../migrations'),
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
      fileName: (timestamp, name) => `Migration${timestamp}${name ? `_${name}` : ''}`,
    },
  });
}
