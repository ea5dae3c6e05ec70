import { userInfo } from 'node:os';
import type { MikroORM } from '@mikro-orm/postgresql';
import { StartupError } from '../common/startup-error';

/** Where DATABASE_URL points, for messages (never its password). */
export function describeDatabaseUrl(databaseUrl: string): { host: string; port: string; user: string; database: string } {
  const url = new URL(databaseUrl);
  // As the pg driver defaults them: the socket folder may be a `host` parameter, the user the OS user.
  const host = url.searchParams.get('host') ?? (decodeURIComponent(url.hostname) || 'localhost');
  const user = decodeURIComponent(url.username) || userInfo().username;
  return { host, port: url.port || '5432', user, database: decodeURIComponent(url.pathname.slice(1)) || user };
}

/**
 * Runs the first query on DATABASE_URL, before anything else uses it, so that a wrong URL fails start-up
 * with one line that says what is wrong instead of a driver stack trace.
 */
export async function checkDatabaseUrl(orm: MikroORM, databaseUrl: string): Promise<void> {
  try {
    await orm.em.getConnection().execute('select 1');
  } catch (error) {
    throw explainConnectError(error, databaseUrl);
  }
}

/** A StartupError naming DATABASE_URL for the mistakes an operator makes in it; any other error unchanged. */
export function explainConnectError(error: unknown, databaseUrl: string): unknown {
  const { code, message = '', name } = (error ?? {}) as { code?: string; message?: string; name?: string };
  const { host, port, user, database } = describeDatabaseUrl(databaseUrl);
  const where = `${host}:${port}`;
  switch (code) {
    case '3D000':
      return new StartupError(
        `Database "${database}" on ${where} does not exist: correct DATABASE_URL, or create it (createdb -h ${shell(host)} -p ${port} ` +
          `-U ${shell(user)} ${shell(database)}, or npx gatehouse migrate --create-database); Gatehouse never creates one by itself.`,
      );
    case '28P01':
    case '28000':
      return new StartupError(
        `PostgreSQL at ${where} refused the login of user "${user}" (${message}): set DATABASE_URL to a user and password it accepts.`,
      );
    case 'ECONNREFUSED':
      return new StartupError(`Cannot connect to PostgreSQL at ${where} (connection refused): start it, or set DATABASE_URL to where it runs.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`Cannot connect to PostgreSQL: host "${host}" is not found: set DATABASE_URL to where it runs.`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new StartupError(`Cannot connect to PostgreSQL at ${where} (${code}): check the network, or set DATABASE_URL to where it runs.`);
  }
  if (name === 'KnexTimeoutError' || /connection timeout|timeout expired/i.test(message)) {
    return new StartupError(
      `No answer from PostgreSQL at ${where} in time: check that it runs and is reachable, or set DATABASE_URL to where it runs.`,
    );
  }
  return error;
}

const shell = (word: string) => (/^[\w./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
