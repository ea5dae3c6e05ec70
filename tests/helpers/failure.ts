import { GatehouseError } from '../../client';

/** Awaits an SDK call that must fail, and returns its GatehouseError. */
export async function failure(promise: Promise<unknown>): Promise<GatehouseError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatehouseError) return error;
    throw error;
  }
  throw new Error('expected the operation to fail');
}
