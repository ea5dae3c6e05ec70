import type { FastifyBaseLogger } from 'fastify';
import { loggableError } from '../db/driver-errors';
import type { NotificationSubscriber } from '../db/notifications';
import type { AuthCache } from './auth-cache';

export const AUTH_CHANNEL = 'gatehouse_auth';

/**
 * Keeps the AuthCache correct across instances with PostgreSQL LISTEN/NOTIFY (the triggers of migration
 * Migration20261129191500 announce every change), as a subscriber of the process's NotificationHub
 * (src/db/notifications.ts). The hub proves by a round trip that every change committed before it
 * started has been applied; the cache is trusted for one heartbeat plus one timeout after that. When the
 * connection fails or stalls, the cache is emptied and bypassed until a new connection listens again. A
 * silent network failure therefore leaves stale state trusted for at most heartbeatMs + timeoutMs (2 s
 * by default).
 */
export class AuthStateListener implements NotificationSubscriber {
  readonly channels = [AUTH_CHANNEL];

  constructor(
    private readonly cache: AuthCache,
    private readonly log: FastifyBaseLogger,
  ) {}

  notify(_channel: string, payload: string): void {
    this.cache.invalidate(payload);
  }

  resume(until: number): void {
    this.cache.resume(until);
    this.log.info('auth cache listening for changes');
  }

  confirm(until: number): void {
    this.cache.confirm(until);
  }

  suspend(lost?: { error: unknown }): void {
    this.cache.suspend();
    if (lost) this.log.warn({ err: loggableError(lost.error) }, 'auth cache bypassed: change notifications lost');
  }
}
