import isEmail from 'validator/lib/isEmail';
import type { EnvReader } from './env';

/** How the SMTP connection is protected, as SMTP_URL says. */
export type SmtpTls = 'starttls' | 'implicit' | 'off';

export interface SmtpConfig {
  /** SMTP_URL as given (show-config masks its password). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /**
   * starttls (smtp://, the default): the connection must be upgraded with STARTTLS before AUTH or any
   * message, or nothing is sent. implicit (smtps://): TLS from the first byte. off (smtp://…?tls=off):
   * plain text, for a relay on this host (production refuses it for any other host).
   */
  readonly tls: SmtpTls;
  readonly user: string | undefined;
  readonly password: string | undefined;
}

export interface MailConfig {
  readonly mail: {
    /** Unset: no SMTP; outside production messages become .eml files in DATA_DIR/outbox, in production mail is off. */
    readonly smtp: SmtpConfig | undefined;
    /** False in production without SMTP_URL. */
    readonly enabled: boolean;
    /** The From header, e.g. `Acme <no-reply@acme.example>`; its display name names the service in the texts. */
    readonly from: string;
    /** A message is tried at most this many times, then fails for good. */
    readonly maxAttempts: number;
    /** The wait after the first failed attempt; each further failure doubles it (with jitter) up to retryMaxSeconds. */
    readonly retryBaseSeconds: number;
    readonly retryMaxSeconds: number;
    /** How often each instance looks for due messages when nothing woke it (other instances' mail, retries, a crash). */
    readonly pollIntervalSeconds: number;
    /** How long a claimed message is this instance's to send; past it another instance may send it again. */
    readonly leaseSeconds: number;
    /** Messages claimed per run, and sent at most this many at once over the SMTP pool. */
    readonly batchSize: number;
    readonly concurrency: number;
    /** SENT and FAILED messages are deleted this long after they were queued. */
    readonly outboxRetentionSeconds: number;
  };
}

const DEVELOPMENT_FROM = 'Gatehouse <no-reply@localhost>';
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1)$/i;

export function readMail(r: EnvReader, production: boolean): MailConfig {
  const smtp = readSmtpUrl(r, production);
  const fromRaw = r.env.MAIL_FROM?.trim();
  if (production && smtp && !fromRaw)
    r.problem('MAIL_FROM is required when NODE_ENV=production and SMTP_URL is set (e.g. "Acme <no-reply@acme.example>")');
  const from = fromRaw || DEVELOPMENT_FROM;
  if (fromRaw && !isFromAddress(fromRaw))
    r.problem(`MAIL_FROM must be an address, optionally with a name: "Acme <no-reply@acme.example>" (got "${fromRaw}")`);
  const retryBaseSeconds = r.duration('MAIL_RETRY_BASE', '5s', 1, 3600);
  const retryMaxSeconds = r.duration('MAIL_RETRY_MAX', '15m', 1, 24 * 3600);
  if (retryMaxSeconds < retryBaseSeconds) r.problem('MAIL_RETRY_MAX must be at least MAIL_RETRY_BASE');
  return {
    mail: {
      smtp,
      enabled: smtp !== undefined || !production,
      from,
      maxAttempts: r.int('MAIL_MAX_ATTEMPTS', 20, 1, 100),
      retryBaseSeconds,
      retryMaxSeconds,
      pollIntervalSeconds: r.duration('MAIL_POLL_INTERVAL', '2s', 1, 3600),
      leaseSeconds: r.duration('MAIL_LEASE', '5m', 30, 3600),
      batchSize: r.int('MAIL_BATCH_SIZE', 50, 1, 1000),
      concurrency: r.int('MAIL_CONCURRENCY', 5, 1, 50),
      outboxRetentionSeconds: r.duration('MAIL_OUTBOX_RETENTION', '7d', 3600, 365 * 86400),
    },
  };
}

/** `Name <addr@domain>` or `addr@domain`, no line breaks (a header injection). */
function isFromAddress(text: string): boolean {
  if (/[\r\n]/.test(text)) return false;
  const match = /^(?:"?([^"<>]*)"?\s*)?<([^<>\s]+)>$/.exec(text);
  const address = match ? match[2] : text;
  // localhost is allowed: it is the development default, and a production relay may rewrite it.
  return isEmail(address, { allow_display_name: false, require_tld: false, allow_ip_domain: false });
}

function readSmtpUrl(r: EnvReader, production: boolean): SmtpConfig | undefined {
  const raw = r.env.SMTP_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not echoed: it may hold the password.
    r.problem('SMTP_URL must be a URL such as smtp://user:password@mail.example:587 or smtps://user:password@mail.example:465');
    return undefined;
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'smtp' && scheme !== 'smtps') {
    r.problem(`SMTP_URL must start with smtp:// (STARTTLS required) or smtps:// (TLS), not ${scheme}://`);
    return undefined;
  }
  const unknown = [...url.searchParams.keys()].filter((key) => key !== 'tls');
  if (unknown.length > 0) r.problem(`SMTP_URL has an unknown parameter: ${unknown.join(', ')} (only tls=off is understood)`);
  const tlsParam = url.searchParams.get('tls');
  if (tlsParam !== null && tlsParam !== 'off') r.problem(`SMTP_URL's tls parameter can only be "off" (got "${tlsParam}")`);
  if (tlsParam === 'off' && scheme === 'smtps') r.problem('SMTP_URL: smtps:// is TLS from the start; tls=off contradicts it');
  const tls: SmtpTls = scheme === 'smtps' ? 'implicit' : tlsParam === 'off' ? 'off' : 'starttls';
  // An IPv6 literal comes bracketed, as URLs write it; the socket wants it bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) r.problem('SMTP_URL must name a host');
  // Plain SMTP carries the password and every reset link in clear: in production only to a relay on this host.
  if (production && tls === 'off' && !LOOPBACK.test(host)) {
    r.problem('SMTP_URL: tls=off (plain text) is refused in production except to a relay on this host (localhost, 127.0.0.1, ::1)');
  }
  const port = url.port ? Number(url.port) : scheme === 'smtps' ? 465 : 587;
  if (url.password && !url.username) r.problem('SMTP_URL has a password but no user name');
  return {
    url: raw,
    host,
    port,
    tls,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}
