import type { AsyncLocalStorage } from 'node:async_hooks';
import { TransactionContext } from '@mikro-orm/core';

/**
 * MikroORM runs every transaction inside `AsyncLocalStorage.run` (its TransactionContext), so that an
 * EntityManager used inside the callback finds the transaction. On Node 20, AsyncLocalStorage is built on
 * async hooks: from its first `run` on (the migrations at start-up) V8 calls a promise hook for every
 * promise the process makes, in every request, transaction or not, until the storage is disabled. That
 * doubles the cost of an `await` (measured: 2M awaits, 129 ms of CPU without, 299 ms with) and took ~5% of
 * the server's CPU on a `{ __typename }` load, plus garbage.
 *
 * Here the storage is disabled again whenever no transaction is in flight. That changes nothing for a
 * transaction: a `run` enables it before the callback starts, and it stays enabled until the last
 * transaction in flight has settled, so every promise of every open transaction carries its context. Code
 * outside any transaction never had a context to read. Installed once, before the first transaction.
 */
export function scopeTransactionContextToTransactions(): void {
  const contexts = TransactionContext as unknown as {
    storage: AsyncLocalStorage<unknown>;
    create: <T>(em: unknown, next: () => T) => T;
    [INSTALLED]?: true;
  };
  if (contexts[INSTALLED]) return;
  contexts[INSTALLED] = true;
  const create = contexts.create.bind(TransactionContext);
  let inFlight = 0;
  const settled = () => {
    if (--inFlight === 0) contexts.storage.disable();
  };
  contexts.create = <T>(em: unknown, next: () => T): T => {
    inFlight++;
    let result: T;
    try {
      result = create(em, next);
    } catch (error) {
      settled();
      throw error;
    }
    if (!(result instanceof Promise)) {
      settled();
      return result;
    }
    // The caller's `await` continues after this, so the count is down before its next transaction.
    return result.finally(settled) as T;
  };
}

const INSTALLED = Symbol.for('gatehouse.transactionContextScoped');

/** Whether promise hooks are on for MikroORM's transaction context now (tests). */
export function transactionContextEnabled(): boolean {
  return (TransactionContext as unknown as { storage: { enabled: boolean } }).storage.enabled;
}
