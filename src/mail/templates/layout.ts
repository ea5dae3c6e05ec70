// What every template shares: the data shapes, and one layout that renders the same blocks as plain text
// and as HTML, so the two bodies always say the same thing. HTML is built by escaping every value; no
// external image, font or stylesheet (nothing that tracks the reader or breaks offline), no script.

/** What the texts need beyond a template's own data. */
export interface MailContext {
  /** The service's name, as MAIL_FROM's display name gives it ("Acme" of "Acme <no-reply@acme.example>"). */
  service: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** A link that works once, for a while. */
export interface LinkData {
  link: string;
  validMinutes: number;
}

/** Where a change came from, when known. `at` is an ISO time. */
export interface NoticeData {
  at: string;
  ip?: string;
  userAgent?: string;
}

/** A paragraph, a call to action (a button in HTML, the bare URL in text), or a list of facts. */
export type Block = string | { link: string; label: string } | { facts: [string, string][] };

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A link a mail may carry: http(s) only (never javascript: or data:), no spaces or line breaks. */
export function checkedLink(link: string): string {
  if (!/^https?:\/\/[^\s]+$/i.test(link)) throw new Error('a mail link must be an http(s) URL');
  return link;
}

/** "30 minutes", "1 hour", "24 hours", "90 minutes". */
export function validity(minutes: number): string {
  if (minutes % 60 === 0) return minutes === 60 ? '1 hour' : `${minutes / 60} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** "Sat, 05 Dec 2026 10:00:00 UTC" style, unambiguous for every reader; the input unchanged if it is not a time. */
export function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toUTCString().replace('GMT', 'UTC');
}

/** The facts of a notice: when, from which address and device, as far as known. */
export function noticeFacts({ at, ip, userAgent }: NoticeData): Block {
  const facts: [string, string][] = [['When', when(at)]];
  if (ip) facts.push(['IP address', ip]);
  if (userAgent) facts.push(['Device', userAgent.slice(0, 200)]);
  return { facts };
}

export function layout(subject: string, blocks: Block[], { service }: MailContext): RenderedMail {
  const footer = `This message was sent automatically by ${service}. Replies are not read.`;
  const text = [...blocks.map(textOf), '-- ', footer].join('\n\n') + '\n';
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:24px;background:#ffffff;color:#1a1a1a;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:16px;line-height:1.5">
<main style="max-width:560px;margin:0 auto">
${blocks.map(htmlOf).join('\n')}
<hr style="border:none;border-top:1px solid #d0d0d0;margin:32px 0 16px">
<p style="color:#555555;font-size:14px">${escapeHtml(footer)}</p>
</main>
</body>
</html>
`;
  return { subject, text, html };
}

function textOf(block: Block): string {
  if (typeof block === 'string') return block;
  if ('link' in block) return `${block.label}:\n${checkedLink(block.link)}`;
  return block.facts.map(([name, value]) => `${name}: ${value}`).join('\n');
}

function htmlOf(block: Block): string {
  if (typeof block === 'string') return `<p>${escapeHtml(block)}</p>`;
  if ('link' in block) {
    const href = escapeHtml(checkedLink(block.link));
    return `<p><a href="${href}" style="display:inline-block;padding:12px 20px;background:#1a56db;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">${escapeHtml(block.label)}</a></p>
<p style="font-size:14px;color:#555555">If the button does not work, copy this address into your browser:<br><a href="${href}" style="color:#1a56db;word-break:break-all">${href}</a></p>`;
  }
  const rows = block.facts.map(
    ([name, value]) =>
      `<tr><th scope="row" style="text-align:left;padding:2px 16px 2px 0;font-weight:600">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`,
  );
  return `<table role="presentation" style="border-collapse:collapse">${rows.join('')}</table>`;
}
