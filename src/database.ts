import { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config';
import { checkDatabaseUrl } from './db/connect-errors';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded';
import { ormOptions } from './orm-options';
import { scopeOrmContextsToTheirWork } from './db/transaction-context';

export interface Database {
  orm: MikroORM;
  embedded: boolean;
  /** True once every migration is applied; rechecked until it is. */
  isMigrated(): Promise<boolean>;
  close(): Promise<void>;
}

// Any constant works; it only has to be the same for every instance sharing a database.
const MIGRATION_LOCK_SQL = "select pg_advisory_lock(hashtext('gatehouse:migrations'))";
const MIGRATION_UNLOCK_SQL = "select pg_advisory_unlock(hashtext('gatehouse:migrations'))";

/** Connects to DATABASE_URL, or starts the embedded database, and applies migrations when configured. */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'databasePoolMax' | 'dataDir' | 'migrateOnStart'>,
  log: FastifyBaseLogger,
  { attachToRunningServer = false } = {},
): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let clientUrl = config.databaseUrl;
  if (!clientUrl) {
    // pglite-socket refuses connections beyond maxConnections: room for the pool plus a CLI beside it.
    embedded = await startEmbeddedDatabase(config.dataDir, {
      maxConnections: config.databasePoolMax + 4,
      attach: attachToRunningServer,
    });
    clientUrl = 'postgresql://postgres@localhost/postgres';
    log.info({ dataDir: config.dataDir }, 'using the embedded database (set DATABASE_URL to use PostgreSQL)');
  }
  let orm: MikroORM;
  // Before the migrations, the first transactions.
  scopeOrmContextsToTheirWork();
  try {
    orm = await MikroORM.init({
      ...ormOptions({
        clientUrl,
        poolMax: config.databasePoolMax,
        socket: embedded && { host: embedded.host, port: embedded.port },
        log,
      }),
      // The first query is checkDatabaseUrl's, which says what is wrong with the URL (MikroORM's own
      // check on connecting would only wait out the same timeout once more).
      connect: false,
    });
  } catch (error) {
    await embedded?.close();
    throw error;
  }
  const close = async () => {
    await orm.close(true);
    await embedded?.close();
  };
  try {
    if (config.databaseUrl) await checkDatabaseUrl(orm, config.databaseUrl);
    if (config.migrateOnStart) await migrate(orm, log);
  } catch (error) {
    await close();
    throw error;
  }

  let migrated = false;
  return {
    orm,
    embedded: embedded !== undefined,
    async isMigrated() {
      if (!migrated) migrated = (await orm.getMigrator().getPendingMigrations()).length === 0;
      return migrated;
    },
    close,
  };
}

/**
 * Applies pending migrations. Instances that start together take turns on a PostgreSQL advisory lock,
 * so each migration runs once; the lock is held on its own connection while the migrator uses others.
 */
export async function migrate(orm: MikroORM, log: FastifyBaseLogger): Promise<string[]> {
  const knex = orm.em.getConnection().getKnex();
  const lockConnection = await knex.client.acquireConnection();
  try {
    await lockConnection.query(MIGRATION_LOCK_SQL);
    const applied = await orm.getMigrator().up();
    if (applied.length > 0) log.info({ migrations: applied.map((m) => m.name) }, 'applied migrations');
    return applied.map((m) => m.name);
  } finally {
    await lockConnection.query(MIGRATION_UNLOCK_SQL).catch(() => undefined);
    await knex.client.releaseConnection(lockConnection);
  }
}
