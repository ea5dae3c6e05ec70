import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { transactionContextEnabled } from '../../src/db/transaction-context';
import { User } from '../../src/users/user.entity';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// src/db/transaction-context.ts turns MikroORM's AsyncLocalStorage (and with it V8's promise hooks) off
// whenever no transaction is in flight. These check both halves: off between transactions, and, during
// one, the context still found after awaits, as MikroORM relies on.

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
  it('is off between requests that ran transactions', async () => {
    const email = uniqueEmail();
    await server.sdk().Register({ input: { email, password: PASSWORD } });
    // A login opens its session in a transaction.
    const login = await server.sdk().Login({ input: { email, password: PASSWORD } });
    expect(login.login.__typename).toBe('AuthPayload');
    expect(transactionContextEnabled()).toBe(false);
  });

  it('resolves the global EntityManager to the open transaction across awaits, and is off again after it', async () => {
    let seenInside: User | null = null;
    const email = await fork().transactional(async (tx) => {
      expect(transactionContextEnabled()).toBe(true);
      const written = await insertUser(tx);
      await tick();
      // Uncommitted: visible only inside the transaction, which MikroORM finds through the context.
      seenInside = await contextual().findOne(User, { email: written });
      return written;
    });
    expect(seenInside).not.toBeNull();
    expect(transactionContextEnabled()).toBe(false);
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
      expect(transactionContextEnabled()).toBe(true);
      return { email, seen: await contextual().findOne(User, { email }) };
    });
    setTimeout(releaseA, 20);
    const [resultA, resultB] = await Promise.all([first, second]);
    expect(resultA.seen?.email).toBe(resultA.email);
    expect(resultB.seen?.email).toBe(resultB.email);
    expect(transactionContextEnabled()).toBe(false);
  });

  it('is off after a transaction that fails, which rolls back', async () => {
    let email = '';
    await expect(
      fork().transactional(async (tx) => {
        email = await insertUser(tx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(transactionContextEnabled()).toBe(false);
    expect(await fork().findOne(User, { email })).toBeNull();
  });
});
