import { createHmac } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config';

export interface Alert {
  id: string;
  type: string;
  severity: string;
  userId: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  details: Record<string, unknown>;
}

export interface AlertDelivery {
  attempts: number;
  baseDelayMs: number;
  timeoutMs: number;
  /** Deliveries waiting or in flight beyond this are dropped (and logged): an alert storm must not eat memory. */
  maxPending: number;
}

const DEFAULT_DELIVERY: AlertDelivery = { attempts: 5, baseDelayMs: 500, timeoutMs: 5_000, maxPending: 1_000 };

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe-style receivers expect. */
export function signAlert(secret: string, body: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Alerts administrators of high-severity events: always a structured warning in the log, and, when
 * ALERT_WEBHOOK_URL is set, a signed JSON POST delivered in the background with retries. It never
 * blocks or fails the request that caused it.
 *
 * The retries live in this process's memory: a delivery still pending when the process stops (after
 * close()'s wait) or crashes is lost; the event's row and the log line remain. The transactional outbox
 * that the email work adds (a row written with the event, delivered by a job in src/jobs/) is what alerts
 * should then use, so that a delivery survives a restart.
 */
export class AlertService {
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly webhook: Config['alertWebhook'],
    private readonly log: FastifyBaseLogger,
    private readonly delivery: AlertDelivery = DEFAULT_DELIVERY,
  ) {}

  notify(alert: Alert): void {
    this.log.warn({ alert }, `security alert: ${alert.type}`);
    if (!this.webhook || this.closed) return;
    if (this.pending.size >= this.delivery.maxPending) {
      this.log.error({ alertId: alert.id }, 'alert webhook backlog full; alert not delivered');
      return;
    }
    const delivery = this.deliver(this.webhook, alert).finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  /** Waits for deliveries in flight, at most `timeoutMs`. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.pending]), deadline]);
    clearTimeout(timer);
  }

  private async deliver({ url, secret }: NonNullable<Config['alertWebhook']>, alert: Alert): Promise<void> {
    const body = JSON.stringify(alert);
    for (let attempt = 1; attempt <= this.delivery.attempts; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Gatehouse-Alerts/1',
            'x-gatehouse-event': alert.type,
            'x-gatehouse-signature': signAlert(secret, body, Math.floor(Date.now() / 1000)),
          },
          body,
          signal: AbortSignal.timeout(this.delivery.timeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) return;
        this.log.warn({ alertId: alert.id, status: response.status, attempt }, 'alert webhook refused the alert');
      } catch (error) {
        this.log.warn({ alertId: alert.id, attempt, err: { message: (error as Error).message } }, 'alert webhook unreachable');
      }
      if (attempt < this.delivery.attempts && !this.closed) {
        await new Promise((resolve) => setTimeout(resolve, this.delivery.baseDelayMs * 2 ** (attempt - 1)).unref());
      }
    }
    this.log.error({ alertId: alert.id }, 'alert webhook delivery failed after retries');
  }
}
