import type { Env, EnvReader } from './env';
import { JWT_SECRET_MIN_BYTES } from './jwt';

export interface EventsConfig {
  readonly securityEventRetentionSeconds: number;
  /** Repeats of the same security event within this window are counted on one row. */
  readonly securityEventDedupeSeconds: number;
  /** Security events kept in memory while the database is unavailable, written when it is back. */
  readonly securityEventQueueMax: number;
  readonly alertWebhook: { readonly url: string; readonly secret: string } | undefined;
  /** How often the housekeeping purge (revocations, sessions, events) runs. */
  readonly purgeIntervalSeconds: number;
}

export function readEvents(r: EnvReader): EventsConfig {
  return {
    securityEventRetentionSeconds: r.duration('SECURITY_EVENT_RETENTION', '90d', 86400, 10 * 365 * 86400),
    securityEventDedupeSeconds: r.duration('SECURITY_EVENT_DEDUPE_WINDOW', '1m', 1, 86400),
    securityEventQueueMax: r.int('SECURITY_EVENT_QUEUE_MAX', 10_000, 1, 1_000_000),
    alertWebhook: readAlertWebhook(r.env, r.problems),
    purgeIntervalSeconds: r.duration('PURGE_INTERVAL', '10m', 1, 24 * 3600),
  };
}

function readAlertWebhook(env: Env, problems: string[]): EventsConfig['alertWebhook'] {
  const url = env.ALERT_WEBHOOK_URL?.trim();
  if (!url) return undefined;
  if (!/^https?:\/\//.test(url)) problems.push('ALERT_WEBHOOK_URL must be an http:// or https:// URL');
  const secret = env.ALERT_WEBHOOK_SECRET ?? '';
  if (Buffer.byteLength(secret, 'utf8') < JWT_SECRET_MIN_BYTES) {
    problems.push(`ALERT_WEBHOOK_SECRET must be set, at least ${JWT_SECRET_MIN_BYTES} bytes, when ALERT_WEBHOOK_URL is set`);
  }
  return { url, secret };
}
