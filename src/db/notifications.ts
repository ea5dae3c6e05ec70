import { Client } from 'pg';

export interface ListenerTiming {
  /** How often the listening connection proves it is alive. */
  heartbeatMs: number;
  /** A heartbeat or sync slower than this counts as a lost connection. */
  timeoutMs: number;
}

/** What keeps state in step with the database's change notifications (the first: AuthStateListener). */
export interface NotificationSubscriber {
  /** PostgreSQL channels, as plain lower-case identifiers. */
  readonly channels: readonly string[];
  /** A notification on one of `channels`. */
  notify(channel: string, payload: string): void;
  /** Listening (again): whatever was missed before is unknown. Trust notifications until `until`. */
  resume(until: number): void;
  /** Every notification committed before this round trip started has been delivered; trust until `until`. */
  confirm(until: number): void;
  /**
   * On any doubt (the connection failed, stalled, or the hub stopped): notifications may be missed until
   * the next `resume`. `lost` carries the error when a listening connection was lost (worth a warning).
   */
  suspend(lost?: { error: unknown }): void;
}

const DEFAULT_TIMING: ListenerTiming = { heartbeatMs: 1_000, timeoutMs: 1_000 };
const MAX_RECONNECT_DELAY_MS = 5_000;
const CHANNEL = /^[a-z_][a-z0-9_]*$/;

/**
 * One dedicated PostgreSQL connection per process that LISTENs on every channel its subscribers name
 * (only on PostgreSQL: the embedded database does not deliver NOTIFY between connections). PostgreSQL
 * sends a listening connection its pending notifications before the answer to any query, so a round trip
 * on this connection that started at t proves that everything committed before t has been delivered.
 * Subscribers are told to trust what they hold for one heartbeat plus one timeout after that; when the
 * connection fails or stalls, they are told to doubt it (`suspend`) until a new connection listens again.
 * A silent network failure therefore leaves stale state trusted for at most heartbeatMs + timeoutMs
 * (2 s by default). With no subscriber it opens no connection.
 */
export class NotificationHub {
  private readonly subscribers: NotificationSubscriber[] = [];
  private client?: Client;
  private heartbeat?: NodeJS.Timeout;
  private reconnect?: NodeJS.Timeout;
  private reconnectDelayMs = 100;
  private started = false;
  private stopped = false;
  private syncChain: Promise<void> = Promise.resolve();
  private pendingSync?: Promise<void>;
  private readonly retired = new WeakSet<Client>();

  constructor(
    private readonly connectionString: string,
    private readonly timing: ListenerTiming = DEFAULT_TIMING,
  ) {}

  /** Before `start`. */
  subscribe(subscriber: NotificationSubscriber): void {
    if (this.started) throw new Error('subscribe before the notification hub starts');
    for (const channel of subscriber.channels) if (!CHANNEL.test(channel)) throw new Error(`not a channel name: ${channel}`);
    this.subscribers.push(subscriber);
  }

  /** Whether anything listens: with no subscriber the hub stays idle. */
  get active(): boolean {
    return this.subscribers.length > 0;
  }

  /** Resolves once listening, or after the first failure (subscribers stay suspended and it retries). */
  async start(): Promise<void> {
    this.started = true;
    if (!this.active) return;
    await this.connect();
    this.heartbeat = setInterval(() => void this.sync(), this.timing.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Waits until every change committed so far has been delivered to the subscribers. Mutations call it
   * before they answer, so their own effects hold on this instance by the time the client reads the response.
   */
  sync(): Promise<void> {
    // One query at a time on this connection. Callers share a round trip that has not started yet: it
    // starts after they asked, which is all their guarantee needs.
    if (!this.pendingSync) {
      this.pendingSync = this.syncChain.then(() => {
        this.pendingSync = undefined;
        return this.roundTrip();
      });
      this.syncChain = this.pendingSync;
    }
    return this.pendingSync;
  }

  private async roundTrip(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const startedAt = Date.now();
    try {
      await withTimeout(client.query('select 1'), this.timing.timeoutMs);
      if (client === this.client) this.each((subscriber) => subscriber.confirm(startedAt + this.timing.heartbeatMs + this.timing.timeoutMs));
    } catch (error) {
      this.lost(client, error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnect);
    const client = this.client;
    this.client = undefined;
    this.each((subscriber) => subscriber.suspend());
    if (client) {
      this.retired.add(client);
      await client.end().catch(() => undefined);
    }
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.connectionString,
      keepAlive: true,
      connectionTimeoutMillis: this.timing.timeoutMs * 5,
      application_name: 'gatehouse-listener',
    });
    client.on('notification', (message) => {
      for (const subscriber of this.subscribers) {
        if (subscriber.channels.includes(message.channel)) subscriber.notify(message.channel, message.payload ?? '');
      }
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    if (this.stopped) return;
    try {
      const startedAt = Date.now();
      await client.connect();
      const channels = [...new Set(this.subscribers.flatMap((subscriber) => subscriber.channels))];
      await withTimeout(client.query(channels.map((channel) => `listen ${channel}`).join('; ')), this.timing.timeoutMs);
      if (this.stopped) {
        this.retired.add(client);
        await client.end();
        return;
      }
      this.client = client;
      this.reconnectDelayMs = 100;
      this.each((subscriber) => subscriber.resume(startedAt + this.timing.heartbeatMs + this.timing.timeoutMs));
    } catch (error) {
      this.lost(client, error);
    }
  }

  /** Each connection is given up once, and each given-up connection schedules exactly one successor. */
  private lost(client: Client, error: unknown): void {
    if (this.retired.has(client)) return;
    this.retired.add(client);
    const wasListening = this.client === client;
    if (wasListening) this.client = undefined;
    const lost = wasListening && !this.stopped ? { error } : undefined;
    this.each((subscriber) => subscriber.suspend(lost));
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.reconnect = setTimeout(() => void this.connect(), this.reconnectDelayMs);
    this.reconnect.unref();
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, MAX_RECONNECT_DELAY_MS);
  }

  private each(signal: (subscriber: NotificationSubscriber) => void): void {
    for (const subscriber of this.subscribers) signal(subscriber);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
