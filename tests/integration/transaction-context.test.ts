import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { join } from 'node:path';
import { ormContextsEnabled } from '../../src/db/transaction-context';
import { User } from '../../src/users/user.entity';
import { startServerProcess } from '../helpers/server-process';
import { createTestDatabase } from '../helpers/test-database';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// src/db/transaction-context.ts turns MikroORM's AsyncLocalStorages (and with them V8's promise hooks) off
// whenever none of their work (a transaction, a flush) is in flight. These check both halves: off between
// them, and, during one, the context still found after awaits, as MikroORM relies on.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const fork = () => server.gatehouse.database.orm.em.fork() as EntityManager;
/**
 * The global EntityManager is the one MikroORM resolves through the transaction context (forks do not):
 * inside a transaction it is that transaction's; outside any, using it is refused (allowGlobalContext false).
 */
const contextual = () => server.gatehouse.database.orm.em as EntityManager;
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A user row written in `tx`, uncommitted until the transaction ends. */
async function insertUser(tx: EntityManager): Promise<string> {
  const email = uniqueEmail('tx');
  await tx.insert(User, { id: randomUUID(), email, passwordHash: 'x', role: 'USER' as never, createdAt: new Date(), updatedAt: new Date() });
  return email;
}

describe('MikroORM transaction context scoped to transactions', () => {
  it('is off between requests that ran transactions and flushes', async () => {
    const email = uniqueEmail();
    // A registration flushes its rows; a password change runs a transaction; logins open sessions.
    const sdk = server.sdk();
    await sdk.Register({ input: { email, password: PASSWORD } });
    const login = await sdk.Login({ input: { email, password: PASSWORD } });
    if (login.login.__typename !== 'AuthPayload') throw new Error('expected a session');
    await server.sdk(login.login.accessToken).ChangePassword({ input: { currentPassword: PASSWORD, newPassword: `${PASSWORD}!` } });
    expect(ormContextsEnabled()).toBe(false);
  });

  it('is on during a flush, and off once overlapping flushes have all settled', async () => {
    const [a, b] = [fork(), fork()];
    const write = (em: EntityManager) => {
      em.create(User, {
        id: randomUUID(),
        email: uniqueEmail('flush'),
        passwordHash: 'x',
        role: 'USER' as never,
        createdAt: new Date(),
        updatedAt: new Date(),
      });
      return em.flush();
    };
    const flushes = Promise.all([write(a), write(b)]);
    expect(ormContextsEnabled()).toBe(true);
    await flushes;
    expect(ormContextsEnabled()).toBe(false);
  });

  it('resolves the global EntityManager to the open transaction across awaits, and is off again after it', async () => {
    let seenInside: User | null = null;
    const email = await fork().transactional(async (tx) => {
      expect(ormContextsEnabled()).toBe(true);
      const written = await insertUser(tx);
      await tick();
      // Uncommitted: visible only inside the transaction, which MikroORM finds through the context.
      seenInside = await contextual().findOne(User, { email: written });
      return written;
    });
    expect(seenInside).not.toBeNull();
    expect(ormContextsEnabled()).toBe(false);
    expect(await fork().findOne(User, { email })).not.toBeNull();
    // Outside any transaction there is no context to find.
    await expect(contextual().findOne(User, { email })).rejects.toThrow(/global EntityManager/);
  });

  it('stays on while any of several overlapping transactions is open, each keeping its own context', async () => {
    const a = fork();
    const b = fork();
    let releaseA!: () => void;
    const aMayEnd = new Promise<void>((resolve) => (releaseA = resolve));
    const first = a.transactional(async (tx) => {
      const email = await insertUser(tx);
      await aMayEnd;
      return { email, seen: await contextual().findOne(User, { email }) };
    });
    // On PostgreSQL B runs beside A; the embedded database has one connection, so there B begins once A has
    // committed. Either way B is in flight (counted from its call) when A ends, and reads after A is done.
    const second = b.transactional(async (tx) => {
      const email = await insertUser(tx);
      await first;
      await tick();
      expect(ormContextsEnabled()).toBe(true);
      return { email, seen: await contextual().findOne(User, { email }) };
    });
    setTimeout(releaseA, 20);
    const [resultA, resultB] = await Promise.all([first, second]);
    expect(resultA.seen?.email).toBe(resultA.email);
    expect(resultB.seen?.email).toBe(resultB.email);
    expect(ormContextsEnabled()).toBe(false);
  });

  it('is off after a transaction that fails, which rolls back', async () => {
    let email = '';
    await expect(
      fork().transactional(async (tx) => {
        email = await insertUser(tx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(ormContextsEnabled()).toBe(false);
    expect(await fork().findOne(User, { email })).toBeNull();
  });
});

// What the scoping is for, seen from outside MikroORM: in a server process of its own (jest's process keeps
// hooks on for itself), V8 calls no promise hook once the requests that wrote rows are done.
it('leaves promise hooks off in a server process after requests that flushed and ran transactions', async () => {
  const database = await createTestDatabase();
  const server = await startServerProcess({
    ...database.env,
    JWT_SECRET: randomBytes(48).toString('base64'),
    BCRYPT_COST: '4',
    NODE_OPTIONS: `--require ${join(__dirname, '../helpers/promise-hooks-probe.js')}`,
  });
  const probe = async () => {
    const answers = () => server.output().match(/promise hooks: (on|off)\n/g) ?? [];
    const seen = answers().length;
    process.kill(server.pid, 'SIGUSR2');
    while (answers().length === seen) await tick();
    return answers().at(-1);
  };
  try {
    const email = uniqueEmail();
    const sdk = server.sdk();
    await sdk.Register({ input: { email, password: PASSWORD } });
    const login = await sdk.Login({ input: { email, password: PASSWORD } });
    if (login.login.__typename !== 'AuthPayload') throw new Error('expected a session');
    const { refresh } = await sdk.Refresh({ refreshToken: login.login.refreshToken });
    await server.sdk(refresh.accessToken).ChangePassword({ input: { currentPassword: PASSWORD, newPassword: `${PASSWORD}!` } });
    expect(await probe()).toBe('promise hooks: off\n');
  } finally {
    await server.stop();
    await database.drop();
  }
}, 60_000);
