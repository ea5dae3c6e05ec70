import { defineErrorCodes } from '../errors/define';

/** Codes of sending mail; composed into the one table in src/errors/codes.ts. */
export const MAIL_CODES = defineErrorCodes({
  // Production without SMTP_URL: a request that exists to send a mail (a link) cannot work, and says why.
  MAIL_UNAVAILABLE: { message: 'This server cannot send email right now: its operator has not configured mail.', status: 200 },
});
