import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Deletes the rows of `table` matching `where` (SQL with `?` placeholders), `batchSize` at a time, so no
 * statement holds its locks for long. Returns how many rows went.
 */
export async function deleteInBatches(
  em: EntityManager,
  table: string,
  key: string,
  where: string,
  params: unknown[],
  batchSize = 1000,
): Promise<number> {
  const sql = `delete from ${table} where ${key} in (select ${key} from ${table} where ${where} limit ?)`;
  let total = 0;
  for (;;) {
    const { affectedRows } = await em.getConnection().execute<{ affectedRows: number }>(sql, [...params, batchSize], 'run');
    total += affectedRows;
    if (affectedRows < batchSize) return total;
  }
}
