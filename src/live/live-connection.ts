import type { WebSocket } from 'ws';
import type { SecurityEvent } from '../events/security-event.entity';
import type { SecurityEventType } from '../events/security-event-type';
import type { Viewer } from '../identity/viewer';
import type { Role } from '../users/role';
import type { AccountEvent } from './account-event.type';
import { CloseCode } from './close-codes';
import { EventStream } from './event-stream';

/** Who a socket speaks for, once its connection_init (or a renewal) proved it. */
export interface LiveIdentity {
  userId: string;
  sessionId: string;
  jti: string;
  role: Role;
  /** Milliseconds since the epoch: the access token's `exp`. */
  expiresAt: number;
}

export interface StreamLimits {
  maxQueuedEvents: number;
  maxBufferedBytes: number;
}

// A socket whose own SESSION_REVOKED cannot be sent within this is closed all the same.
const LAST_EVENT_WAIT_MS = 500;

/** One open socket: its identity, its subscriptions' streams, and how it ends. */
export class LiveConnection {
  identity?: LiveIdentity;
  readonly accountStreams = new Set<EventStream<AccountEvent>>();
  readonly adminStreams = new Map<EventStream<SecurityEvent>, SecurityEventType | null>();
  /** Set when a ping was sent and no pong has come back since. */
  awaitingPong = false;
  pingSentAt = 0;
  private expiryTimer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    readonly socket: WebSocket,
    readonly ip: string,
    private readonly limits: StreamLimits,
    /** The connections with an admin stream (LiveRegistry.admins). */
    private readonly admins: Set<LiveConnection>,
    /** The client could not keep up: counted, then dropped. */
    private readonly onSlow: () => void,
  ) {}

  /** The ids of the subscriptions running (counted from their subscribe message, before they resolve). */
  readonly subscriptions = new Set<string>();

  get isClosing(): boolean {
    return this.closing;
  }

  /** Adopts `viewer` (a first sign-in or a renewal) and arms the close at its token's expiry. */
  authenticate(viewer: Viewer, onExpiry: () => void): void {
    this.identity = {
      userId: viewer.user.id,
      sessionId: viewer.sessionId,
      jti: viewer.claims.jti,
      role: viewer.user.role,
      expiresAt: viewer.claims.exp * 1000,
    };
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(onExpiry, Math.max(0, this.identity.expiresAt - Date.now()));
    this.expiryTimer.unref();
  }

  accountStream(): EventStream<AccountEvent> {
    const stream = new EventStream<AccountEvent>(
      this.limits.maxQueuedEvents,
      () => this.slow(),
      (ended) => this.accountStreams.delete(ended),
    );
    this.accountStreams.add(stream);
    return stream;
  }

  adminStream(type: SecurityEventType | null): EventStream<SecurityEvent> {
    const stream = new EventStream<SecurityEvent>(
      this.limits.maxQueuedEvents,
      () => this.slow(),
      (ended) => {
        this.adminStreams.delete(ended);
        if (this.adminStreams.size === 0) this.admins.delete(this);
      },
    );
    this.adminStreams.set(stream, type);
    this.admins.add(this);
    return stream;
  }

  /** Called before each message graphql-ws sends: a client whose send buffer is over the bound is dropped. */
  canSend(): boolean {
    if (this.socket.bufferedAmount <= this.limits.maxBufferedBytes) return true;
    this.slow();
    return false;
  }

  pushAccount(event: AccountEvent): void {
    for (const stream of this.accountStreams) stream.push(event);
  }

  pushSecurity(event: SecurityEvent): void {
    for (const [stream, type] of this.adminStreams) if (type === null || type === event.type) stream.push(event);
  }

  /** The socket's own session ended: its SESSION_REVOKED goes out first, then the socket closes with 4401. */
  revoke(event: AccountEvent, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.expiryTimer);
    for (const stream of this.adminStreams.keys()) stream.return();
    const streams = [...this.accountStreams];
    for (const stream of streams) {
      stream.push(event);
      stream.finish();
    }
    const started = Date.now();
    const closeWhenSent = () => {
      if (streams.every((stream) => stream.drained) || Date.now() - started >= LAST_EVENT_WAIT_MS) {
        this.socket.close(CloseCode.UNAUTHORIZED, reason);
      } else {
        setTimeout(closeWhenSent, 5);
      }
    };
    // A turn later, so that graphql-ws has taken the last event and its "complete" into the socket.
    setImmediate(closeWhenSent);
  }

  /** Cuts the connection without a close frame (a peer that does not answer). */
  terminate(): void {
    this.closing = true;
    clearTimeout(this.expiryTimer);
    this.socket.terminate();
  }

  close(code: number, reason: string): void {
    if (this.closing && code !== CloseCode.TRY_AGAIN_LATER) return;
    this.closing = true;
    clearTimeout(this.expiryTimer);
    this.socket.close(code, reason);
  }

  /** The socket is gone: stop everything it held. */
  dispose(): void {
    this.closing = true;
    clearTimeout(this.expiryTimer);
    for (const stream of this.accountStreams) stream.return();
    for (const stream of this.adminStreams.keys()) stream.return();
    this.admins.delete(this);
  }

  private slow(): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.onSlow();
    // A close frame would wait behind what the client is not reading: cut the connection instead.
    this.closing = true;
    this.socket.close(CloseCode.TRY_AGAIN_LATER, 'too slow: messages were not read');
    this.socket.terminate();
  }
}
