import { createClient, type Client } from 'graphql-ws';
import type { SecurityEvent } from './events-table';

// New security events without reloading: the `securityEvents` subscription over graphql-ws on the same
// origin and path as HTTP (ws(s)://<server>/graphql), the access token in connection_init.

/** An event as the subscription sends it: the table's row without its details. */
export type LiveEvent = Omit<SecurityEvent, 'details'>;

export type LiveState = 'connecting' | 'live' | 'closed';

const SUBSCRIPTION = `subscription ConsoleSecurityEvents {
  securityEvents { id type severity userId ip createdAt lastSeenAt count }
}`;

export interface LiveOptions {
  token: () => string | undefined;
  onEvent: (event: LiveEvent) => void;
  onState: (state: LiveState, detail?: string) => void;
  /** The socket was closed with 4401 (token expired or session ended): refresh, then call start() again. */
  onSignedOut: () => void;
}

export class LiveEvents {
  private client: Client | undefined;
  private stop: (() => void) | undefined;

  constructor(private readonly options: LiveOptions) {}

  start(): void {
    this.close();
    const url = new URL('../graphql', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const { token, onEvent, onState, onSignedOut } = this.options;
    const client = createClient({
      url: url.href,
      // Read at each (re)connection, so a reconnect uses the latest token.
      connectionParams: () => ({ authorization: `Bearer ${token() ?? ''}` }),
      retryAttempts: Infinity,
      shouldRetry: (event) => (event as { code?: number }).code !== 4401,
      on: {
        connecting: () => onState('connecting'),
        connected: () => onState('live'),
        closed: (event) => {
          const { code, reason } = event as { code?: number; reason?: string };
          if (this.client !== client) return;
          onState('closed', reason || (code ? `closed with ${code}` : undefined));
          if (code === 4401) onSignedOut();
        },
      },
    });
    this.client = client;
    this.stop = client.subscribe<{ securityEvents: LiveEvent }>(
      { query: SUBSCRIPTION },
      {
        next: ({ data }) => data && onEvent(data.securityEvents),
        error: (error) => onState('closed', error instanceof Error ? error.message : JSON.stringify(error)),
        complete: () => undefined,
      },
    );
  }

  /** After a refresh: the open socket keeps its session with the new token (renewLiveToken over it). */
  renew(accessToken: string): void {
    const client = this.client;
    if (!client) return;
    const done = client.subscribe(
      { query: 'mutation ConsoleRenewLiveToken($token: String!) { renewLiveToken(accessToken: $token) }', variables: { token: accessToken } },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
    // A mutation answers once and completes; nothing to hold on to.
    void done;
  }

  close(): void {
    const client = this.client;
    this.client = undefined;
    this.stop?.();
    this.stop = undefined;
    void client?.dispose();
  }
}
