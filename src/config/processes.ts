import { availableParallelism } from 'node:os';
import type { EnvReader } from './env';

export interface ProcessesConfig {
  /** Processes serving the port (node:cluster); more than one needs DATABASE_URL. */
  readonly workers: number;
  /** libuv threads per process (UV_THREADPOOL_SIZE), where bcrypt runs; see threadPoolSize(). */
  readonly threadPoolSize: number;
}

const MAX_WORKERS = 64;

export function readProcesses(r: EnvReader, databaseUrl: string | undefined): ProcessesConfig {
  const workers = readWorkers(r.str('WORKERS', '1'), databaseUrl, r.problems);
  return { workers, threadPoolSize: r.int('UV_THREADPOOL_SIZE', threadPoolSize(workers), 1, 1024) };
}

/**
 * bcrypt hashes on libuv's thread pool, whose default of 4 threads would take every core of a small
 * machine during a burst of logins and leave `me` waiting behind them. Each process keeps one core's
 * worth for its event loop and hashes on the rest (at least one thread).
 */
export function threadPoolSize(workers: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / workers) - 1);
}

/** "auto" is one process per core the machine offers. */
function readWorkers(raw: string, databaseUrl: string | undefined, problems: string[]): number {
  const workers = raw.toLowerCase() === 'auto' ? availableParallelism() : Number(raw);
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    problems.push(`WORKERS must be "auto" or a whole number from 1 to ${MAX_WORKERS} (got "${raw}")`);
    return 1;
  }
  // The embedded database lives in one process and serves one server.
  if (workers > 1 && !databaseUrl) problems.push('WORKERS above 1 needs DATABASE_URL (the embedded database serves one process)');
  return workers;
}
