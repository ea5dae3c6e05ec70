import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { DocumentNode } from 'graphql';
import { LoginDocument, LogoutDocument, RefreshDocument, VerifyMfaDocument, type MfaChallengeFieldsFragment, type MfaMethod } from './documents';
import { createSend, GatehouseError } from './index';
import { getSdk, type Sdk } from './sdk';

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
  /** Told when login answers a second-factor challenge (ask for a code, then call completeMfa), and of null once it is done. */
  onChallenge?: (challenge: MfaChallengeFieldsFragment | null) => void;
}

export interface SessionClient {
  sdk: Sdk;
  tokens(): TokenPair | null;
  /** The challenge of the last login that needs a second factor, until verifyMfa completes it (or another login). */
  challenge(): MfaChallengeFieldsFragment | null;
  /** Completes the pending challenge with a code: the session's tokens are kept as for login. */
  completeMfa(method: MfaMethod, code: string): Promise<void>;
}

/**
 * The typed SDK with a session: it sends the access token, keeps the pair that register, login,
 * refresh and changePassword return, forgets it on logout, and when the server answers TOKEN_EXPIRED it
 * refreshes once and retries. Concurrent calls share a single refresh (a refresh token works once).
 */
export function createSessionClient({ url, fetch = globalThis.fetch, tokens = null, onTokens, onChallenge }: SessionClientOptions): SessionClient {
  let current = tokens;
  let challenge: MfaChallengeFieldsFragment | null = null;
  const setChallenge = (next: MfaChallengeFieldsFragment | null) => {
    if (next === challenge) return;
    challenge = next;
    onChallenge?.(next);
  };
  let refreshing: Promise<void> | undefined;
  const set = (next: TokenPair | null) => {
    current = next;
    onTokens?.(next);
  };
  const send = createSend({ url, fetch, getAccessToken: () => current?.accessToken });
  const plain = getSdk(send);

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

  // Operations are told apart by their typed documents, the very objects the SDK sends.
  const request = async <R, V>(document: DocumentNode, variables?: V): Promise<R> => {
    const attempt = async () => remember(document, variables, await send<R, V>(document, variables));
    // The access token this call goes out with: when it comes back expired, a refresh that another call
    // started (and finished) meanwhile may already have replaced it, and then the call only needs a retry.
    const sentWith = current?.accessToken;
    try {
      return await attempt();
    } catch (error) {
      // UNAUTHENTICATED only: a link token's TOKEN_EXPIRED (BAD_USER_INPUT, field token) is not the access token's.
      const expired = error instanceof GatehouseError && error.code === 'UNAUTHENTICATED' && error.reason === 'TOKEN_EXPIRED';
      if (!expired || document === RefreshDocument || !current?.refreshToken) throw error;
      if (current.accessToken === sentWith || refreshing) {
        await refreshOnce().catch(() => {
          throw error;
        });
      }
      return attempt();
    }
  };

  const remember = <R>(document: DocumentNode, variables: unknown, data: R): R => {
    // Logout of OTHERS keeps this session; CURRENT (the default) and ALL end it.
    if (sentAs(LogoutDocument, document, variables) && variables?.scope !== 'OTHERS') set(null);
    if (document === LoginDocument || document === VerifyMfaDocument) {
      const result = Object.values(data as object)[0] as { __typename?: string } & MfaChallengeFieldsFragment;
      setChallenge(
        result?.__typename === 'MfaChallenge'
          ? { challengeToken: result.challengeToken, methods: result.methods, expiresAt: result.expiresAt, passkeyOptions: result.passkeyOptions }
          : null,
      );
    }
    for (const value of Object.values(data as object)) {
      if (value && typeof value === 'object' && 'accessToken' in value && 'refreshToken' in value) {
        set({ accessToken: value.accessToken as string, refreshToken: value.refreshToken as string });
      }
    }
    return data;
  };

  const sdk = getSdk(request);
  const completeMfa = async (method: MfaMethod, code: string): Promise<void> => {
    if (!challenge) throw new Error('no second-factor challenge is pending: call Login first');
    await sdk.VerifyMfa({ input: { challengeToken: challenge.challengeToken, method, code } });
  };
  return { sdk, tokens: () => current, challenge: () => challenge, completeMfa };
}

/** Whether `document` is the operation `typed`; the variables sent with it are then that operation's. */
function sentAs<V>(typed: TypedDocumentNode<unknown, V>, document: DocumentNode, _variables: unknown): _variables is V | undefined {
  return document === typed;
}
