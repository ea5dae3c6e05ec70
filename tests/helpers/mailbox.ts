// What a test reads of the mail a server sends, through a real SMTP server (tests/helpers/smtp-server.ts:
// smtp-server and mailparser):
//
//   const server = await startServerWithMailbox({ REQUIRE_VERIFIED_EMAIL: 'true' }); // SMTP_URL set for it
//   const mail = await openMailbox(server).nextMail(email);  // { template, subject, text, link }
//
// The server's close() closes its SMTP server too. `all(to)` first waits until the outbox has nothing left
// to send, so "no (other) mail was sent" is asserted once the dispatcher is done, not while it still works.
import type { MailTemplateName } from '../../src/mail/templates';
import { startSmtpServer, type ReceivedMail as SmtpMail, type TestSmtpServer } from './smtp-server';
import { startTestServer, type TestServer } from './test-server';

export interface ReceivedMail {
  to: string;
  /** Its X-Gatehouse-Mail header: which template it was made from. */
  template: MailTemplateName;
  subject: string;
  text: string;
  /** The first http(s) link of the text, if any. */
  link: string | undefined;
}

export interface Mailbox {
  /** The next message to `to` not yet returned by nextMail; fails after `timeoutMs`. */
  nextMail(to: string, options?: { timeoutMs?: number }): Promise<ReceivedMail>;
  /** Every message to `to` received, returned by nextMail or not, once the outbox has nothing pending. */
  all(to: string): Promise<ReceivedMail[]>;
}

/** The token of a link (APP_URL/…#token=…). */
export const tokenOf = (link: string | undefined): string => {
  const token = link && new URL(link).hash.match(/^#token=([A-Za-z0-9_-]+)$/)?.[1];
  if (!token) throw new Error(`no token in link ${link}`);
  return token;
};

export const linkIn = (text: string): string | undefined => /https?:\/\/\S+/.exec(text)?.[0];

const smtpOf = new WeakMap<TestServer, { smtp: TestSmtpServer; delivered: SmtpMail[] }>();

/** A test server whose mail goes to a real SMTP server of its own; `env` as startTestServer takes it. */
export async function startServerWithMailbox(env: Record<string, string> = {}): Promise<TestServer> {
  const smtp = await startSmtpServer();
  let server: TestServer;
  try {
    server = await startTestServer({ SMTP_URL: smtp.url, ...env });
  } catch (error) {
    await smtp.close();
    throw error;
  }
  const close = server.close;
  server.close = async () => {
    try {
      await close();
    } finally {
      await smtp.close();
    }
  };
  smtpOf.set(server, { smtp, delivered: [] });
  return server;
}

export function openMailbox(server: TestServer): Mailbox {
  const entry = smtpOf.get(server);
  if (!entry) throw new Error('openMailbox: start the server with startServerWithMailbox');
  const { smtp, delivered } = entry;
  return {
    async nextMail(to, { timeoutMs = 10_000 } = {}) {
      const mail = await smtp.nextMail(to, { timeoutMs });
      delivered.push(mail);
      return received(mail);
    },
    async all(to) {
      await outboxDrained(server);
      const address = to.toLowerCase();
      return [...delivered.filter((mail) => mail.to.includes(address)), ...smtp.mailsTo(to)]
        .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime())
        .map(received);
    },
  };
}

function received(mail: SmtpMail): ReceivedMail {
  const template = mail.headers.get('x-gatehouse-mail');
  if (typeof template !== 'string') throw new Error(`a mail without X-Gatehouse-Mail: ${mail.subject}`);
  return { to: mail.to[0], template: template as MailTemplateName, subject: mail.subject, text: mail.text, link: linkIn(mail.text) };
}

/** Resolves once no message waits in the outbox (bounded): what was committed has been delivered. */
async function outboxDrained(server: TestServer, timeoutMs = 10_000): Promise<void> {
  const ends = Date.now() + timeoutMs;
  const connection = server.gatehouse.database.orm.em.getConnection();
  for (;;) {
    const [{ pending }] = await connection.execute<{ pending: number }[]>(
      "select count(*)::int as pending from mail_outbox where status = 'PENDING'",
    );
    if (pending === 0) return;
    if (Date.now() > ends) throw new Error(`the outbox still has ${pending} message(s) after ${timeoutMs} ms`);
    server.gatehouse.services.mail.wake();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
