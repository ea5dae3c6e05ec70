import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded';

// The embedded database on its own: private socket, one owner per folder, data kept across restarts.

let dir: string;
let database: EmbeddedDatabase | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-embedded-'));
});
afterAll(async () => {
  await database?.close();
  await rm(dir, { recursive: true, force: true });
});

const query = async (db: EmbeddedDatabase, sql: string) => {
  const client = new Client({ host: db.host, port: db.port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

it('listens on a unix socket in a folder only its owner can open', async () => {
  database = await startEmbeddedDatabase(dir, { maxConnections: 4 });
  expect(database.host).toBe(dir);
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  expect(statSync(join(dir, `.s.PGSQL.${database.port}`)).isSocket()).toBe(true);
  expect(await query(database, 'select 1 as one')).toEqual([{ one: 1 }]);
});

it('refuses a second owner of the folder, but lets a client attach (the CLI beside the server)', async () => {
  await expect(startEmbeddedDatabase(dir, { maxConnections: 4 })).rejects.toThrow(/Another Gatehouse process/);
  const attached = await startEmbeddedDatabase(dir, { maxConnections: 4, attach: true });
  await query(attached, 'create table kept (value text)');
  await query(attached, "insert into kept values ('still here')");
  await attached.close();
  expect(await query(database!, 'select value from kept')).toEqual([{ value: 'still here' }]);
});

it('keeps its data across a restart', async () => {
  await database!.close();
  database = await startEmbeddedDatabase(dir, { maxConnections: 4 });
  expect(await query(database, 'select value from kept')).toEqual([{ value: 'still here' }]);
});
