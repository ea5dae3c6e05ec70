import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * Where one test file's server keeps its data: a fresh PostgreSQL database on the server named by
 * DATABASE_URL, or, without it, a fresh folder for the embedded database.
 */
export interface TestDatabase {
  env: { DATABASE_URL?: string; DATA_DIR: string };
  drop(): Promise<void>;
}

/**
 * GATEHOUSE_TEST_DATABASE_TAG (lower-case letters and digits) goes into the name of every database and
 * folder made here, so that a run which cannot drop its own (tests/fixtures/leaves-servers-open.fixture.ts
 * fails on purpose) can have them dropped by whoever started it (tests/integration/leftovers.test.ts).
 */
function testDatabaseNames(tag = process.env.GATEHOUSE_TEST_DATABASE_TAG): { database: string; folder: string } {
  if (tag !== undefined && !/^[a-z0-9]{1,20}$/.test(tag)) throw new Error('GATEHOUSE_TEST_DATABASE_TAG: lower-case letters and digits');
  return tag === undefined ? { database: 'gatehouse_test_', folder: 'gh-' } : { database: `gatehouse_test_${tag}_`, folder: `gh-${tag}-` };
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const prefix = testDatabaseNames();
  const dataDir = await mkdtemp(join(tmpdir(), prefix.folder));
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    return { env: { DATA_DIR: dataDir }, drop: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const name = `${prefix.database}${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`create database "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString(), DATA_DIR: dataDir },
    async drop() {
      await withClient(adminUrl, (client) => client.query(`drop database if exists "${name}" with (force)`));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Drops every database and folder createTestDatabase made under `tag`; returns how many of each. */
export async function dropTaggedDatabases(tag: string): Promise<{ databases: number; folders: number }> {
  const prefix = testDatabaseNames(tag);
  const folders = (await readdir(tmpdir())).filter((entry) => entry.startsWith(prefix.folder));
  for (const folder of folders) await rm(join(tmpdir(), folder), { recursive: true, force: true });
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) return { databases: 0, folders: folders.length };
  const databases = await withClient(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [prefix.database]);
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
    return rows.length;
  });
  return { databases, folders: folders.length };
}

async function withClient<T>(url: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
