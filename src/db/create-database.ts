import { Client } from 'pg';
import { StartupError } from '../common/startup-error';
import { describeDatabaseUrl, explainConnectError } from './connect-errors';

const DUPLICATE_DATABASE = '42P04';
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Creates the database DATABASE_URL names if it does not exist (`npx gatehouse migrate --create-database`,
 * the only place Gatehouse creates one): connects as the same user to the server's `postgres` database.
 * Returns the database's name when it created it.
 */
export async function createDatabaseIfMissing(databaseUrl: string): Promise<string | undefined> {
  const { host, port, user, database } = describeDatabaseUrl(databaseUrl);
  const maintenanceUrl = new URL(databaseUrl);
  maintenanceUrl.pathname = '/postgres';
  const client = new Client({ connectionString: maintenanceUrl.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw explainConnectError(error, maintenanceUrl.toString());
  }
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (rowCount) return undefined;
    await client.query(`create database ${client.escapeIdentifier(database)}`);
    return database;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // Another process created it meanwhile.
    if (code === DUPLICATE_DATABASE) return undefined;
    if (code === INSUFFICIENT_PRIVILEGE) {
      throw new StartupError(
        `User "${user}" may not create databases on ${host}:${port}: create "${database}" as a user who may (createdb), or set DATABASE_URL.`,
      );
    }
    throw error;
  } finally {
    await client.end();
  }
}
