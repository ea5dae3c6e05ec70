// A real SMTP server for tests (the `smtp-server` package), in this process on 127.0.0.1 and a random port,
// with AUTH PLAIN/LOGIN checked against its own user and password. Every message it accepts is parsed with
// `mailparser` and kept in `mails`, in order of arrival.
//
//   const smtp = await startSmtpServer();
//   const server = await startTestServer({ SMTP_URL: smtp.url });     // smtp://user:pass@127.0.0.1:port?tls=off
//   ... something that sends mail to `email` ...
//   const mail = await smtp.nextMail(email);                          // waits (bounded) for it, then consumes it
//   mail.subject, mail.text, mail.html, mail.messageId, mail.headers  // as mailparser read them
//
// Faults, switched on and off while the server runs:
//   smtp.down()           stop listening and drop open connections: clients get "connection refused"
//   smtp.up()             listen again on the same port
//   smtp.answer451(true)  answer 451 (transient) to MAIL FROM; false: back to normal
//   smtp.reject550(true)  answer 550 (permanent) to RCPT TO; false: back to normal
//
// The server offers no STARTTLS and does not require TLS, so `url` opts out of TLS (`?tls=off`);
// `insecureUrl` is the same server without the opt-out, for the test that Gatehouse refuses to send in clear.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  /** The envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  /** The envelope sender (MAIL FROM). */
  from: string;
  subject: string;
  text: string;
  /** The HTML body, or '' when there is none. */
  html: string;
  messageId: string | undefined;
  /** Every header, lower-cased names, as mailparser parsed them. */
  headers: ParsedMail['headers'];
  /** The message as it arrived over SMTP. */
  raw: string;
  /** The SMTP user the client authenticated as. */
  user: string | undefined;
  receivedAt: Date;
}

export interface SmtpServerOptions {
  user?: string;
  pass?: string;
}

export interface TestSmtpServer {
  /** `smtp://user:pass@127.0.0.1:port?tls=off`: plain SMTP with AUTH (no TLS, on purpose, for tests). */
  url: string;
  /** The same server without `?tls=off`: a client that requires STARTTLS must refuse to send to it. */
  insecureUrl: string;
  port: number;
  user: string;
  pass: string;
  /** Every message accepted so far, in order; `nextMail` removes what it returns. */
  mails: ReceivedMail[];
  /** Since the start: connections opened, AUTH attempts (and failures), messages accepted. */
  stats: { connections: number; auths: number; authFailures: number; transactions: number };
  /** The first message to `to` (case-insensitive) that arrived or arrives within `timeoutMs`; removed from `mails`. */
  nextMail(to: string, options?: { timeoutMs?: number }): Promise<ReceivedMail>;
  /** Resolves once `count` messages in all have been accepted (bounded by `timeoutMs`), without consuming them. */
  waitForCount(count: number, options?: { timeoutMs?: number }): Promise<ReceivedMail[]>;
  /** Messages to `to` accepted so far (not consumed). */
  mailsTo(to: string): ReceivedMail[];
  down(): Promise<void>;
  up(): Promise<void>;
  answer451(on: boolean): void;
  reject550(on: boolean): void;
  close(): Promise<void>;
}

const smtpError = (code: number, message: string): Error => Object.assign(new Error(message), { responseCode: code });

export async function startSmtpServer({
  user = 'gatehouse',
  pass = randomBytes(9).toString('base64url'),
}: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const stats = { connections: 0, auths: 0, authFailures: 0, transactions: 0 };
  let transient = false;
  let permanent = false;
  const arrived = () => waiters.forEach((wake) => wake());

  const server = new SMTPServer({
    // No STARTTLS offered, and AUTH allowed without TLS: a test relay (see the header comment).
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    banner: 'Gatehouse test SMTP server',
    onConnect(_session, callback) {
      stats.connections++;
      callback();
    },
    onAuth(auth, _session, callback) {
      stats.auths++;
      if (auth.username === user && auth.password === pass) return callback(null, { user: auth.username });
      stats.authFailures++;
      callback(smtpError(535, 'Authentication failed'));
    },
    onMailFrom(_address, session, callback) {
      if (!session.user) return callback(smtpError(530, 'Authentication required'));
      if (transient) return callback(smtpError(451, 'Try again later (test server says 451)'));
      callback();
    },
    onRcptTo(_address, _session, callback) {
      if (permanent) return callback(smtpError(550, 'No such user here (test server says 550)'));
      callback();
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            stats.transactions++;
            mails.push({
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: parsed.html || '',
              messageId: parsed.messageId,
              headers: parsed.headers,
              raw,
              user: session.user as string | undefined,
              receivedAt: new Date(),
            });
            callback();
            arrived();
          },
          (error: Error) => callback(smtpError(554, `Unparseable message: ${error.message}`)),
        );
      });
    },
  });
  server.on('error', () => undefined);

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.server.address() as AddressInfo;
  const base = `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`;

  const waitUntil = async <T>(found: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const now = found();
    if (now !== undefined) return now;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value === undefined) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(`test SMTP server: no ${what} within ${timeoutMs} ms (received: ${mails.map((m) => m.to.join(',')).join('; ') || 'nothing'})`),
        );
      }, timeoutMs);
      waiters.add(check);
    });
  };

  let listening = true;
  return {
    url: `${base}?tls=off`,
    insecureUrl: base,
    port,
    user,
    pass,
    mails,
    stats,
    nextMail(to, { timeoutMs = 15_000 } = {}) {
      const address = to.toLowerCase();
      return waitUntil(
        () => {
          const index = mails.findIndex((mail) => mail.to.includes(address));
          return index === -1 ? undefined : mails.splice(index, 1)[0];
        },
        timeoutMs,
        `mail to ${to}`,
      );
    },
    waitForCount(count, { timeoutMs = 15_000 } = {}) {
      return waitUntil(() => (mails.length >= count ? mails : undefined), timeoutMs, `${count} mails`);
    },
    mailsTo: (to) => mails.filter((mail) => mail.to.includes(to.toLowerCase())),
    async down() {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
      // Pooled client connections would otherwise keep delivering.
      for (const connection of server.connections) connection.close();
      await closed;
    },
    async up() {
      if (listening) return;
      await listen(port);
      listening = true;
    },
    answer451(on) {
      transient = on;
    },
    reject550(on) {
      permanent = on;
    },
    async close() {
      waiters.clear();
      if (!listening) return;
      listening = false;
      for (const connection of server.connections) connection.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
