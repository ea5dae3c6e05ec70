import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A statement in plain SQL with `$1`-style parameters (each may appear more than once). It runs as the
 * ORM runs its own: the values are written into the text by the ORM's platform (quoted and escaped as for
 * every ORM query), and the text goes as one simple query. One message per statement matters on the
 * embedded database: its socket server interleaves the messages of concurrent connections, so the
 * extended protocol's unnamed statements (Parse, Bind, Execute) of two connections could clobber each other.
 */
export class Sql {
  private readonly text: string;
  private readonly order: number[] = [];

  constructor(text: string) {
    this.text = text.replace(/\$(\d+)/g, (_, position: string) => {
      this.order.push(Number(position) - 1);
      return '?';
    });
  }

  format(em: EntityManager, values: readonly unknown[]): string {
    return em.getPlatform().formatQuery(
      this.text,
      this.order.map((index) => values[index]),
    );
  }
}

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number | null;
}

/** A pool connection in a transaction of rawTransaction. */
export interface SqlTransaction {
  query<Row = Record<string, unknown>>(statement: Sql, values?: readonly unknown[]): Promise<QueryResult<Row>>;
}

interface PoolConnection {
  query<Row>(text: string): Promise<QueryResult<Row>>;
  __knex__disposed?: unknown;
}

/** Runs `text` on `connection`, with the driver's errors converted as the ORM converts its own. */
async function run<Row>(em: EntityManager, connection: PoolConnection, text: string): Promise<QueryResult<Row>> {
  try {
    return await connection.query<Row>(text);
  } catch (error) {
    throw em.getDriver().convertException(error as Error);
  }
}

/** One of the ORM's pool connections for `use`, given back to the pool after it. */
async function withConnection<T>(em: EntityManager, use: (connection: PoolConnection) => Promise<T>): Promise<T> {
  const client = em.getConnection().getKnex().client;
  const connection = (await client.acquireConnection()) as PoolConnection;
  try {
    return await use(connection);
  } finally {
    await client.releaseConnection(connection);
  }
}

/** One statement on one of the ORM's pool connections, outside any transaction (see rawTransaction). */
export function rawQuery<Row = Record<string, unknown>>(
  em: EntityManager,
  statement: Sql,
  values: readonly unknown[] = [],
): Promise<QueryResult<Row>> {
  return withConnection(em, (connection) => run<Row>(em, connection, statement.format(em, values)));
}

/**
 * Runs `work` in a transaction of its own on one of the ORM's pool connections, without the ORM: no
 * unit of work, no identity map, no query builder. For a hot path whose few statements are written by
 * hand (the refresh token's rotation); everything else goes through the ORM. rawQuery is the same for a
 * single statement.
 * - It sends what the ORM's transactions send (`BEGIN;`, `COMMIT;`, `ROLLBACK;`).
 * - The driver's errors come out as the ORM's own (DriverException and its kinds), so a lost database is
 *   SERVICE_UNAVAILABLE and is logged as any other query's failure.
 * - It commits what `work` wrote when `work` returns, and rolls back when anything throws; a connection
 *   that cannot even roll back is not handed out again.
 */
export function rawTransaction<T>(em: EntityManager, work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
  return withConnection(em, async (connection) => {
    const tx: SqlTransaction = { query: (statement, values = []) => run(em, connection, statement.format(em, values)) };
    await run(em, connection, 'BEGIN;');
    let result: T;
    try {
      result = await work(tx);
    } catch (error) {
      await connection.query('ROLLBACK;').catch((rollbackError: unknown) => {
        // The pool checks connections for this mark (knex): the next acquire gets a fresh one.
        connection.__knex__disposed = rollbackError;
      });
      throw error;
    }
    await run(em, connection, 'COMMIT;');
    return result;
  });
}
