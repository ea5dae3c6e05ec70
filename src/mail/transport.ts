import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Config, SmtpConfig } from '../config';

/** One rendered message, ready to hand to a transport. */
export interface OutgoingMail {
  /** The outbox row's id: the Message-ID is derived from it, so a rare second delivery is recognisable. */
  id: string;
  to: string;
  /** The template's name, sent as X-Gatehouse-Mail: the mail provider can filter or report by kind. */
  template: string;
  subject: string;
  text: string;
  html: string;
}

export type SendOutcome =
  | { ok: true; file?: string }
  /** `permanent`: the server refused this message for good (5xx to MAIL FROM, RCPT TO or DATA); otherwise retry. */
  | { ok: false; permanent: boolean; error: string; smtpCode?: number };

export interface MailTransport {
  readonly kind: 'smtp' | 'file';
  send(mail: OutgoingMail): Promise<SendOutcome>;
  /** Closes the SMTP pool (a message in flight finishes first). */
  close(): void;
}

// Every wait on the SMTP server is bounded, so a dispatcher run (and shutdown) never hangs on a dead server.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };
const MAX_ERROR_LENGTH = 300;

/** SMTP when SMTP_URL is set; otherwise (outside production) .eml files in DATA_DIR/outbox. */
export function createMailTransport(config: Pick<Config, 'mail' | 'dataDir'>, onFile: (file: string) => void): MailTransport {
  return config.mail.smtp
    ? smtpTransport(config.mail.smtp, config.mail.from, config.mail.concurrency)
    : fileTransport(join(config.dataDir, 'outbox'), config.mail.from, onFile);
}

/** `<id@domain-of-MAIL_FROM>` */
export function messageIdFor(id: string, from: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  return `<${id}@${address.slice(address.lastIndexOf('@') + 1)}>`;
}

function message(mail: OutgoingMail, from: string) {
  return {
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: messageIdFor(mail.id, from),
    // RFC 3834: an automatic message; vacation responders and the like do not answer it.
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All', 'X-Gatehouse-Mail': mail.template },
  };
}

function smtpTransport(smtp: SmtpConfig, from: string, concurrency: number): MailTransport {
  const transporter = nodemailer.createTransport({
    pool: true,
    maxConnections: concurrency,
    maxMessages: 100,
    host: smtp.host,
    port: smtp.port,
    // smtps://: TLS from the start. smtp://: STARTTLS is required (nodemailer refuses to authenticate or
    // send when the server does not offer it or the upgrade fails), unless the URL says tls=off.
    secure: smtp.tls === 'implicit',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'off',
    tls: { minVersion: 'TLSv1.2', servername: smtp.host },
    ...(smtp.user !== undefined && { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
    ...TIMEOUTS,
    logger: false,
  });
  const secrets = smtp.password ? [smtp.password, Buffer.from(smtp.password).toString('base64')] : [];
  return {
    kind: 'smtp',
    async send(mail) {
      try {
        await transporter.sendMail(message(mail, from));
        return { ok: true };
      } catch (error) {
        return classify(error as SmtpError, secrets);
      }
    },
    close: () => transporter.close(),
  };
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  permanent?: boolean;
}

/**
 * Permanent only when the server answered this message with a 5xx (a refused sender, recipient or
 * content: sending it again gets the same answer). Everything else is retried: no connection, a timeout,
 * a 4xx, and also a refused AUTH or a failed STARTTLS, which are the operator's to fix, after which the
 * queued mail should still go out.
 */
export function classify(error: SmtpError, secrets: readonly string[] = []): Extract<SendOutcome, { ok: false }> {
  const aboutTheMessage = error.code === 'EENVELOPE' || error.code === 'EMESSAGE';
  const code = error.responseCode;
  const fivexx = code !== undefined && code >= 500 && code < 600 && code !== 503;
  const permanent = aboutTheMessage && (error.permanent ?? fivexx) === true;
  // The server's own reply to the message ("451 4.7.1 Try again later"); otherwise what failed, with its code.
  const text = aboutTheMessage && error.response ? error.response : `${error.code ?? error.name}: ${error.message}`;
  return { ok: false, permanent, error: sanitize(text, secrets), ...(code !== undefined && { smtpCode: code }) };
}

/** One line, bounded, printable, with the SMTP password (plain or base64) cut out should a server echo it. */
function sanitize(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) clean = clean.split(secret).join('********');
  clean = clean.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return clean.length > MAX_ERROR_LENGTH ? `${clean.slice(0, MAX_ERROR_LENGTH - 3)}...` : clean;
}

/**
 * Development without SMTP_URL: each message becomes DATA_DIR/outbox/<time>-<id>.eml (the folder 0700, the
 * file 0600: a message may carry a reset link), which any mail client opens; `onFile` logs its name.
 */
function fileTransport(dir: string, from: string, onFile: (file: string) => void): MailTransport {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let ready: Promise<void> | undefined;
  return {
    kind: 'file',
    async send(mail) {
      try {
        ready ??= mkdir(dir, { recursive: true, mode: 0o700 }).then(() => chmod(dir, 0o700));
        await ready;
        const info = await composer.sendMail(message(mail, from));
        const time = new Date()
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d+Z$/, 'Z');
        const file = join(dir, `${time}-${mail.id}.eml`);
        await writeFile(file, info.message as Buffer, { mode: 0o600, flag: 'w' });
        onFile(file);
        return { ok: true, file };
      } catch (error) {
        ready = undefined;
        return { ok: false, permanent: false, error: sanitize(`${(error as SmtpError).code ?? 'ERROR'}: ${(error as Error).message}`, []) };
      }
    },
    close: () => undefined,
  };
}
