import { resolve } from 'node:path';
import type { EnvReader } from './env';

export interface DatabaseConfig {
  /** Unset: the embedded PostgreSQL (PGlite) with its files in dataDir. */
  readonly databaseUrl: string | undefined;
  readonly databasePoolMax: number;
  readonly dataDir: string;
  readonly migrateOnStart: boolean;
}

export function readDatabase(r: EnvReader): DatabaseConfig {
  const databaseUrl = r.env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    r.problem('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  return {
    databaseUrl,
    databasePoolMax: r.int('DATABASE_POOL_MAX', 10, 2, 200),
    dataDir: resolve(r.str('DATA_DIR', '.data')),
    migrateOnStart: r.bool('MIGRATE_ON_START', true),
  };
}
