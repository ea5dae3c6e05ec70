import { Client } from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import { loggableError } from '../db/driver-errors';
import type { AuthCache } from './auth-cache';

export const AUTH_CHANNEL = 'gatehouse_auth';

export interface ListenerTiming {
  /** How often the listening connection proves it is alive. */
  heartbeatMs: number;
  /** A heartbeat or sync slower than this counts as a lost connection. */
  timeoutMs: number;
}

const DEFAULT_TIMING: ListenerTiming = { heartbeatMs: 1_000, timeoutMs: 1_000 };
const MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * Keeps the AuthCache correct across instances with PostgreSQL LISTEN/NOTIFY (the triggers of migration
 * Migration20261129191500 announce every change). PostgreSQL sends a listening connection its pending
 * notifications before the answer to any query, so a round trip on this connection that started at t
 * proves that everything committed before t has been applied. The cache is trusted for one heartbeat
 * plus one timeout after that; when the connection fails or stalls, it is emptied and bypassed until a
 * new connection listens again. A silent network failure therefore leaves stale state trusted for at
 * most heartbeatMs + timeoutMs (2 s by default).
 */
export class AuthStateListener {
  private client?: Client;
  private heartbeat?: NodeJS.Timeout;
  private reconnect?: NodeJS.Timeout;
  private reconnectDelayMs = 100;
  private stopped = false;
  private syncChain: Promise<void> = Promise.resolve();
  private pendingSync?: Promise<void>;
  private readonly retired = new WeakSet<Client>();

  constructor(
    private readonly connectionString: string,
    private readonly cache: AuthCache,
    private readonly log: FastifyBaseLogger,
    private readonly timing: ListenerTiming = DEFAULT_TIMING,
  ) {}

  /** Resolves once listening, or after the first failure (the cache then stays bypassed and it retries). */
  async start(): Promise<void> {
    await this.connect();
    this.heartbeat = setInterval(() => void this.sync(), this.timing.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Waits until every change committed so far has reached the cache. Mutations call it before they
   * answer, so their own effects hold on this instance by the time the client reads the response.
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
      if (client === this.client) this.cache.confirm(startedAt + this.timing.heartbeatMs + this.timing.timeoutMs);
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
    this.cache.suspend();
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
      if (message.channel === AUTH_CHANNEL) this.cache.invalidate(message.payload ?? '');
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    if (this.stopped) return;
    try {
      const startedAt = Date.now();
      await client.connect();
      await withTimeout(client.query(`listen ${AUTH_CHANNEL}`), this.timing.timeoutMs);
      if (this.stopped) {
        this.retired.add(client);
        await client.end();
        return;
      }
      this.client = client;
      this.reconnectDelayMs = 100;
      this.cache.resume(startedAt + this.timing.heartbeatMs + this.timing.timeoutMs);
      this.log.info('auth cache listening for changes');
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
    this.cache.suspend();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    if (wasListening) this.log.warn({ err: loggableError(error) }, 'auth cache bypassed: change notifications lost');
    this.reconnect = setTimeout(() => void this.connect(), this.reconnectDelayMs);
    this.reconnect.unref();
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, MAX_RECONNECT_DELAY_MS);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
