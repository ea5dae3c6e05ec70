import type { EnvReader } from './env';

export interface AuthCacheConfig {
  /** The in-process cache of token, session and user state, kept correct by database notifications. */
  readonly authCache: { readonly enabled: boolean; readonly maxEntries: number };
}

export function readAuthCache(r: EnvReader): AuthCacheConfig {
  return {
    authCache: {
      enabled: r.bool('AUTH_CACHE', true),
      maxEntries: r.int('AUTH_CACHE_MAX_ENTRIES', 100_000, 100, 10_000_000),
    },
  };
}
