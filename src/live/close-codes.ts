/** Why the server closes a live socket: the codes clients see, documented in README (Live updates). */
export const CloseCode = {
  /** The server is stopping: reconnect (to another instance). */
  GOING_AWAY: 1001,
  /** A client message larger than LIVE_MAX_MESSAGE_BYTES (ws sends it itself). */
  MESSAGE_TOO_BIG: 1009,
  /** The client did not take its messages fast enough (LIVE_MAX_BUFFERED_BYTES, LIVE_MAX_QUEUED_EVENTS). */
  TRY_AGAIN_LATER: 1013,
  /** No token, a bad one, a revoked or expired one, or the session ended: sign in again. */
  UNAUTHORIZED: 4401,
  /** No connection_init within LIVE_INIT_TIMEOUT (graphql-ws sends it itself). */
  INIT_TIMEOUT: 4408,
  /** LIVE_MAX_CONNECTIONS_PER_USER or LIVE_MAX_CONNECTIONS_PER_IP sockets are open already. */
  TOO_MANY_CONNECTIONS: 4429,
} as const;
