import { createGatehouseClient, GatehouseError } from './index';
import type { Sdk } from './sdk';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface SessionClientOptions {
  url: string;
  fetch?: typeof globalThis.fetch;
  /** The pair to start with (e.g. restored from secure storage). */
  tokens?: TokenPair | null;
  /** Told of every new pair (persist it), and of null when the session has ended. */
  onTokens?: (tokens: TokenPair | null) => void;
}

export interface SessionClient {
  sdk: Sdk;
  tokens(): TokenPair | null;
}

/**
 * The typed SDK with a session: it sends the access token, keeps the pair that register, login,
 * refresh and changePassword return, forgets it on logout, and when the server answers TOKEN_EXPIRED it
 * refreshes once and retries. Concurrent calls share a single refresh (a refresh token works once).
 */
export function createSessionClient({ url, fetch = globalThis.fetch, tokens = null, onTokens }: SessionClientOptions): SessionClient {
  let current = tokens;
  let refreshing: Promise<void> | undefined;
  const set = (next: TokenPair | null) => {
    current = next;
    onTokens?.(next);
  };
  const plain = createGatehouseClient({ url, fetch, getAccessToken: () => current?.accessToken });

  const refreshOnce = (): Promise<void> =>
    (refreshing ??= (async () => {
      const presented = current?.refreshToken;
      if (!presented) throw new Error('no refresh token');
      const { refresh } = await plain.Refresh({ refreshToken: presented });
      set({ accessToken: refresh.accessToken, refreshToken: refresh.refreshToken });
    })()
      .catch((error: unknown) => {
        set(null);
        throw error;
      })
      .finally(() => {
        refreshing = undefined;
      }));

  const wrap = <A extends unknown[], R>(name: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const attempt = async () => remember(name, args, await call(...args));
      try {
        return await attempt();
      } catch (error) {
        const expired = error instanceof GatehouseError && error.reason === 'TOKEN_EXPIRED';
        if (!expired || name === 'Refresh' || !current?.refreshToken) throw error;
        await refreshOnce().catch(() => {
          throw error;
        });
        return attempt();
      }
    };

  const remember = <R>(name: string, args: unknown[], data: R): R => {
    // Logout of OTHERS keeps this session; CURRENT (the default) and ALL end it.
    if (name === 'Logout' && (args[0] as { scope?: string } | undefined)?.scope !== 'OTHERS') set(null);
    for (const value of Object.values(data as object)) {
      if (value && typeof value === 'object' && 'accessToken' in value && 'refreshToken' in value) {
        set({ accessToken: value.accessToken as string, refreshToken: value.refreshToken as string });
      }
    }
    return data;
  };

  const sdk = Object.fromEntries(
    Object.entries(plain).map(([name, call]) => [name, wrap(name, call as (...args: unknown[]) => Promise<unknown>)]),
  ) as Sdk;
  return { sdk, tokens: () => current };
}
