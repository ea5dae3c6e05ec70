import type { EnvReader } from './env';

export interface PasswordsConfig {
  readonly bcryptCost: number;
  readonly passwords: {
    readonly minLength: number;
    /** Base URL of a k-anonymity range API (e.g. https://api.pwnedpasswords.com/range); unset: off. */
    readonly breachedApi: string | undefined;
    readonly breachedTimeoutMs: number;
  };
}

export function readPasswords(r: EnvReader, production: boolean): PasswordsConfig {
  const breachedApi = r.env.BREACHED_PASSWORD_API?.trim();
  if (breachedApi && !/^https?:\/\//.test(breachedApi)) r.problem('BREACHED_PASSWORD_API must be an http:// or https:// URL');

  const bcryptCost = r.int('BCRYPT_COST', 12, 4, 15);
  if (production && bcryptCost < 10) {
    r.problem(`BCRYPT_COST must be at least 10 when NODE_ENV=production (got ${bcryptCost})`);
  }
  return {
    bcryptCost,
    passwords: {
      minLength: r.int('PASSWORD_MIN_LENGTH', 8, 8, 64),
      breachedApi: breachedApi || undefined,
      breachedTimeoutMs: r.int('BREACHED_PASSWORD_TIMEOUT_MS', 2000, 100, 30_000),
    },
  };
}
