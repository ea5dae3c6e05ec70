import { print } from 'graphql';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import {
  LiveSecurityEventsDocument,
  RenewLiveTokenDocument,
  SessionEventsDocument,
  type LiveSecurityEventsSubscription,
  type LiveSecurityEventsSubscriptionVariables,
  type RenewLiveTokenMutation,
  type SessionEventsSubscription,
} from './live-documents';
import { GatehouseError, type GatehouseErrorEntry } from './index';

export * from './live-documents';

/** How the server closes a live socket (README, Live updates). */
export const LiveCloseCode = {
  GOING_AWAY: 1001,
  MESSAGE_TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
  UNAUTHORIZED: 4401,
  INIT_TIMEOUT: 4408,
  TOO_MANY_CONNECTIONS: 4429,
} as const;

export type AccountEvent = SessionEventsSubscription['sessionEvents'];
export type LiveSecurityEvent = LiveSecurityEventsSubscription['securityEvents'];

export interface LiveClientOptions {
  /** The GraphQL endpoint over WebSocket: ws://host:port/graphql (wss:// behind TLS). */
  url: string;
  /** Read at each (re)connection; sent as connection_init's { authorization: "Bearer <token>" }. */
  getAccessToken: () => string | undefined | null | Promise<string | undefined | null>;
  /** Told how the socket closed: 4401 means signed out (or the token expired: renew before it does). */
  onClosed?: (code: number, reason: string) => void;
  /** A WebSocket implementation outside browsers (Node < 22: `ws`). */
  webSocketImpl?: unknown;
  /** Anything else graphql-ws's createClient takes. */
  options?: Partial<ClientOptions>;
}

export interface LiveClient {
  /** The graphql-ws client underneath (Apollo Client's GraphQLWsLink takes it as it is). */
  client: Client;
  /** Calls `onEvent` for each account event; returns the unsubscribe. `onEnd` gets an error or nothing. */
  sessionEvents(onEvent: (event: AccountEvent) => void, onEnd?: (error?: unknown) => void): () => void;
  /** ADMIN only: security events as they are written, optionally of one type. */
  securityEvents(
    variables: LiveSecurityEventsSubscriptionVariables,
    onEvent: (event: LiveSecurityEvent) => void,
    onEnd?: (error?: unknown) => void,
  ): () => void;
  /** Adopts a fresh access token on the open socket (call it after each refresh); resolves to its expiry. */
  renewToken(accessToken: string): Promise<string>;
  dispose(): Promise<void>;
}

/**
 * The live channel over graphql-ws: one socket, lazily opened, that sends the access token in
 * connection_init. The server closes it with 4401 when its session ends anywhere; this client then does
 * not reconnect (graphql-ws treats 4401 as final), and `onClosed` says so.
 */
export function createLiveClient({ url, getAccessToken, onClosed, webSocketImpl, options = {} }: LiveClientOptions): LiveClient {
  const client = createClient({
    url,
    ...(webSocketImpl ? { webSocketImpl } : {}),
    connectionParams: async () => {
      const token = await getAccessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    ...options,
    on: {
      ...options.on,
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        onClosed?.(code, reason);
        options.on?.closed?.(event);
      },
    },
  });
  const run = <T>(query: string, variables: Record<string, unknown> | undefined, onData: (data: T) => void, onEnd?: (error?: unknown) => void) =>
    client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) onEnd?.(new GatehouseError(result.errors as GatehouseErrorEntry[], 200));
          else if (result.data) onData(result.data as T);
        },
        error: (error) => onEnd?.(Array.isArray(error) ? new GatehouseError(error as GatehouseErrorEntry[], 200) : error),
        complete: () => onEnd?.(),
      },
    );
  return {
    client,
    sessionEvents: (onEvent, onEnd) =>
      run<SessionEventsSubscription>(print(SessionEventsDocument), undefined, (data) => onEvent(data.sessionEvents), onEnd),
    securityEvents: (variables, onEvent, onEnd) =>
      run<LiveSecurityEventsSubscription>(print(LiveSecurityEventsDocument), variables, (data) => onEvent(data.securityEvents), onEnd),
    renewToken: (accessToken) =>
      new Promise<string>((resolve, reject) => {
        run<RenewLiveTokenMutation>(
          print(RenewLiveTokenDocument),
          { accessToken },
          (data) => resolve(data.renewLiveToken),
          (error) => error && reject(error),
        );
      }),
    dispose: () => Promise.resolve(client.dispose()),
  };
}
