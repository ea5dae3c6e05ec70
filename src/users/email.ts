import isEmail from 'validator/lib/isEmail';

export const EMAIL_MAX_LENGTH = 254;
// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export type EmailCheck = { ok: true; email: string } | { ok: false; message: string };

/** Normalises (trim, lower-case) and then validates an email address. */
export function parseEmail(raw: string): EmailCheck {
  const email = raw.trim().toLowerCase();
  if (email.length === 0) return { ok: false, message: 'Email is required.' };
  if (email.length > EMAIL_MAX_LENGTH) {
    return { ok: false, message: `Email must be at most ${EMAIL_MAX_LENGTH} characters.` };
  }
  if (CONTROL_CHARACTERS.test(email)) return { ok: false, message: 'Email must not contain control characters.' };
  if (!isEmail(email, { allow_display_name: false, require_tld: true, allow_ip_domain: false })) {
    return { ok: false, message: 'Email is not a valid address.' };
  }
  return { ok: true, email };
}
