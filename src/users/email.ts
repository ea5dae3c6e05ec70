import isEmail from 'validator/lib/isEmail';

export const EMAIL_MAX_LENGTH = 254;
// Control, format (zero-width, bidi overrides, soft hyphen), surrogate, private-use and unassigned
// characters, and line/paragraph separators: none belongs in an address, and several make look-alikes.
const INVISIBLE_OR_CONTROL = /[\p{C}\p{Zl}\p{Zp}]/u;

export type EmailCheck = { ok: true; email: string } | { ok: false; message: string };

/**
 * Normalises (trim, Unicode NFKC so that fullwidth and other compatibility forms fold to one spelling,
 * lower-case) and then validates an email address.
 */
export function parseEmail(raw: string): EmailCheck {
  if (raw.length > EMAIL_MAX_LENGTH * 4) return { ok: false, message: `Email must be at most ${EMAIL_MAX_LENGTH} characters.` };
  const email = raw.trim().normalize('NFKC').toLowerCase();
  if (email.length === 0) return { ok: false, message: 'Email is required.' };
  if (email.length > EMAIL_MAX_LENGTH) {
    return { ok: false, message: `Email must be at most ${EMAIL_MAX_LENGTH} characters.` };
  }
  if (INVISIBLE_OR_CONTROL.test(email)) {
    return { ok: false, message: 'Email must not contain control or invisible characters.' };
  }
  if (!isEmail(email, { allow_display_name: false, require_tld: true, allow_ip_domain: false })) {
    return { ok: false, message: 'Email is not a valid address.' };
  }
  return { ok: true, email };
}
