import type { RequestContext } from '../graphql/request-context';
import type { LiveConnection } from './live-connection';
import type { Viewer } from '../identity/viewer';

/** What the live socket offers its operations: its connection, and the renewal of its token. */
export interface LiveSocket {
  readonly connection: LiveConnection;
  /** Adopts a new access token of the same user on this socket; resolves to its expiry. */
  renew(token: string): Promise<Viewer>;
}

/** The context of an operation over the live socket: the transport-neutral part and the socket. */
export type LiveContext = RequestContext & { readonly live: LiveSocket };

/** Whether an operation's context is a live socket's (over HTTP it is not). */
export const isLive = (context: RequestContext): context is LiveContext => 'live' in context;
