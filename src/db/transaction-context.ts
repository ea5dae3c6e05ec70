import { AsyncLocalStorage } from 'node:async_hooks';
import { RawQueryFragment, TransactionContext, UnitOfWork } from '@mikro-orm/core';

/**
 * MikroORM keeps three AsyncLocalStorages, and runs its work inside their `run`:
 * - every transaction (TransactionContext), so that an EntityManager used inside the callback finds it;
 * - every flush (UnitOfWork's `insideFlush`, private to its module), so that a flush started from a flush
 *   hook is refused;
 * - `findAndCount` (RawQueryFragment's, private to its class), so that raw fragments are freed after.
 *
 * On Node 20, AsyncLocalStorage is built on async hooks: from a storage's first `run` on, V8 calls a promise
 * hook for every promise the process makes, in every request, database or not, until every storage is
 * disabled again. One flush (a registration, a login that re-hashes) was enough to leave them on for good:
 * on a `{ __typename }` load, a server that had written a row cost ~155 µs of CPU per request against
 * ~113 µs for one that had not, the difference all promise hooks and their garbage; and an `await` costs
 * twice as much with them (2M awaits: 129 ms of CPU without, 299 ms with).
 *
 * Here each storage is disabled again whenever none of its work is in flight. That changes nothing for
 * that work: a `run` enables the storage before its callback starts, and it stays enabled until the last
 * transaction (or flush) in flight has settled, so every promise of every open one carries its context.
 * Code outside any never had a context to read. Installed once, before the first transaction.
 */
export function scopeOrmContextsToTheirWork(): void {
  // Marked on MikroORM's own class: one install per copy of MikroORM loaded, however many servers use it.
  const transactions = TransactionContext as unknown as { storage: AsyncLocalStorage<unknown>; create: Work; [INSTALLED]?: true };
  if (transactions[INSTALLED]) return;
  transactions[INSTALLED] = true;
  scope(transactions.storage, transactions, 'create');

  // The other two are private: each is caught on its way into `run`, with work that does nothing.
  const units = UnitOfWork.prototype as unknown as { commit: Work };
  const idle = { working: false, flushQueue: [], doCommit: async () => undefined, postCommitCleanup: () => undefined };
  scope(
    caught(() => units.commit.call(idle)),
    units,
    'commit',
  );
  const fragments = RawQueryFragment as unknown as { run: Work };
  const noFragments = (fragments.run as (this: unknown, work: () => Promise<undefined>) => unknown).bind(RawQueryFragment, async () => undefined);
  scope(caught(noFragments), fragments, 'run');
}

type Work = (...args: never[]) => unknown;
const INSTALLED = Symbol.for('gatehouse.ormContextsScoped');
const scoped: AsyncLocalStorage<unknown>[] = [];

/** The storage whose `run` `work` calls first, synchronously; disabled again once the work is done. */
function caught(work: () => unknown): AsyncLocalStorage<unknown> {
  const prototype = AsyncLocalStorage.prototype;
  const run = prototype.run;
  const seen: AsyncLocalStorage<unknown>[] = [];
  prototype.run = function <R>(this: AsyncLocalStorage<unknown>, store: unknown, callback: (...args: unknown[]) => R, ...args: unknown[]): R {
    seen.push(this);
    return run.call(this, store, callback, ...args) as R;
  };
  let result: unknown;
  try {
    result = work();
  } finally {
    prototype.run = run;
  }
  // Anything else would mean MikroORM's internals moved (its version is pinned): fail at start-up, not later.
  const [storage] = seen;
  if (!storage) throw new Error('MikroORM no longer runs this work in an AsyncLocalStorage: see src/db/transaction-context.ts');
  void Promise.resolve(result).finally(() => storage.disable());
  return storage;
}

/** Counts the calls of `owner[method]` in flight, and disables `storage` when the count is back to zero. */
function scope<K extends string>(storage: AsyncLocalStorage<unknown>, owner: Record<K, Work>, method: K): void {
  scoped.push(storage);
  const original = owner[method];
  let inFlight = 0;
  const settled = () => {
    if (--inFlight === 0) storage.disable();
  };
  owner[method] = function (this: unknown, ...args: never[]): unknown {
    inFlight++;
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      settled();
      throw error;
    }
    if (!(result instanceof Promise)) {
      settled();
      return result;
    }
    // The caller's `await` continues after this, so the count is down before its next call.
    return result.finally(settled);
  } as Work as Record<K, Work>[K];
}

/** Whether any of MikroORM's storages is enabled now, i.e. whether it keeps promise hooks on (tests). */
export function ormContextsEnabled(): boolean {
  return scoped.some((storage) => (storage as unknown as { enabled: boolean }).enabled);
}
