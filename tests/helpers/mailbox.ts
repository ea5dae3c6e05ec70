// What a test reads of the mail the server sends: `openMailbox(server)` -> `nextMail(to)` resolves to the
// next message to that address, `{ subject, text, link }`, with the link read from the text.
//
// STAND-IN: until the mail branch merges, this reads what the server queued with the stand-in MailService
// (src/mail/mail.service.ts keeps it in memory) and renders the text a template would carry (its link on
// a line of its own). Over the mail branch it reads tests/helpers/smtp-server.ts instead (a real SMTP server
// and mailparser): `openMailbox(smtp)`, with `nextMail` delegating to its `nextMail(to, { timeoutMs })`,
// `all(to)` to its `mails`, and the link read from the received text the same way (linkIn below).
import type { MailTemplateName, MailTemplates } from '../../src/mail/templates';
import type { TestServer } from './test-server';

export interface ReceivedMail {
  to: string;
  template: MailTemplateName;
  subject: string;
  text: string;
  /** The first http(s) link of the text, if any. */
  link: string | undefined;
}

export interface Mailbox {
  /** The next message to `to` not yet returned by nextMail; fails after `timeoutMs`. */
  nextMail(to: string, options?: { timeoutMs?: number }): Promise<ReceivedMail>;
  /** Every message to `to` so far, returned by nextMail or not. */
  all(to: string): Promise<ReceivedMail[]>;
}

/** The token of a link (APP_URL/…#token=…). */
export const tokenOf = (link: string | undefined): string => {
  const token = link && new URL(link).hash.match(/^#token=([A-Za-z0-9_-]+)$/)?.[1];
  if (!token) throw new Error(`no token in link ${link}`);
  return token;
};

export const linkIn = (text: string): string | undefined => /https?:\/\/\S+/.exec(text)?.[0];

// What the stand-in renders of each template: its subject and a text with the data, a link on its own line.
const SUBJECTS: Record<MailTemplateName, string> = {
  verifyEmail: 'Confirm your email address',
  resetPassword: 'Reset your password',
  confirmEmailChange: 'Confirm your new email address',
  emailChangeRequested: 'A change of your email address was requested',
  emailChanged: 'Your email address was changed',
  passwordChanged: 'Your password was changed',
  passwordReset: 'Your password was reset',
  newSignIn: 'New sign-in to your account',
};

function render<T extends MailTemplateName>(template: T, data: MailTemplates[T]): { subject: string; text: string } {
  const lines = Object.entries(data as Record<string, unknown>).map(([key, value]) => (key === 'link' ? String(value) : `${key}: ${String(value)}`));
  return { subject: SUBJECTS[template], text: `${lines.join('\n')}\n` };
}

export function openMailbox(server: TestServer): Mailbox {
  const consumed = new Map<string, number>();
  const received = (to: string): ReceivedMail[] =>
    server.gatehouse.services.mail.queued
      .filter((mail) => mail.to === to)
      .map((mail) => {
        const { subject, text } = render(mail.template, mail.data);
        return { to: mail.to, template: mail.template, subject, text, link: linkIn(text) };
      });
  return {
    async nextMail(to, { timeoutMs = 5_000 } = {}) {
      const ends = Date.now() + timeoutMs;
      for (;;) {
        const index = consumed.get(to) ?? 0;
        const mail = received(to)[index];
        if (mail) {
          consumed.set(to, index + 1);
          return mail;
        }
        if (Date.now() > ends) throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async all(to) {
      return received(to);
    },
  };
}
