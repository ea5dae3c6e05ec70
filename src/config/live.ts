import type { EnvReader } from './env';

/** The live security channel (src/live/): GraphQL subscriptions over WebSocket on the /graphql path. */
export interface LiveConfig {
  readonly live: {
    /** Open sockets one user may hold on this instance; past it a new one is closed with 4429. */
    readonly maxConnectionsPerUser: number;
    /** Open sockets from one client IP on this instance (before sign-in too); past it: 4429. */
    readonly maxConnectionsPerIp: number;
    /** Subscriptions running at once on one socket; past it the subscribe answers TOO_MANY_SUBSCRIPTIONS. */
    readonly maxSubscriptions: number;
    /** The largest message a client may send; a larger one closes the socket with 1009. */
    readonly maxMessageBytes: number;
    /** How often the server pings each socket (WebSocket ping frames). */
    readonly pingIntervalSeconds: number;
    /** A socket that has not answered a ping within this is dropped. */
    readonly pongTimeoutSeconds: number;
    /** Outgoing bytes a socket may have waiting in its send buffer; past it the client is dropped (1013). */
    readonly maxBufferedBytes: number;
    /** Events waiting for one subscription to take them; past it the client is dropped (1013). */
    readonly maxQueuedEvents: number;
    /** A socket that sends no connection_init within this is closed with 4408. */
    readonly initTimeoutSeconds: number;
  };
}

export function readLive(r: EnvReader): LiveConfig {
  return {
    live: {
      maxConnectionsPerUser: r.int('LIVE_MAX_CONNECTIONS_PER_USER', 20, 1, 100_000),
      maxConnectionsPerIp: r.int('LIVE_MAX_CONNECTIONS_PER_IP', 200, 1, 1_000_000),
      maxSubscriptions: r.int('LIVE_MAX_SUBSCRIPTIONS', 10, 1, 1000),
      maxMessageBytes: r.int('LIVE_MAX_MESSAGE_BYTES', 65_536, 1024, 16 * 1024 * 1024),
      pingIntervalSeconds: r.duration('LIVE_PING_INTERVAL', '30s', 1, 3600),
      pongTimeoutSeconds: r.duration('LIVE_PONG_TIMEOUT', '10s', 1, 3600),
      maxBufferedBytes: r.int('LIVE_MAX_BUFFERED_BYTES', 1_048_576, 1024, 1024 * 1024 * 1024),
      maxQueuedEvents: r.int('LIVE_MAX_QUEUED_EVENTS', 100, 1, 100_000),
      initTimeoutSeconds: r.duration('LIVE_INIT_TIMEOUT', '3s', 1, 60),
    },
  };
}
