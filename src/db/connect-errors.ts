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
  const { code } = (error ?? {}) as { code?: string };
  const { host, port, user, database } = describeDatabaseUrl(databaseUrl);
  const where = `${host}:${port}`;
  switch (code) {
    case '3D000':
      return new StartupError(
        `Database "${database}" on ${where} does not exist: correct DATABASE_URL, or create it (createdb -h ${shell(host)} -p ${port} ` +
          `-U ${shell(user)} ${shell(database)}, or npx gatehouse migrate --create-database); Gatehouse never creates one by itself.`,
      );
  }
  return error;
}

const shell = (word: string) => (/^[\w./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
