import { defineErrorCodes } from '../errors/define';

// STAND-IN (branch issue12-recovery): the mail branch declares this code; the two are the same.

/** Codes of sending mail; composed into the one table in src/errors/codes.ts. */
export const MAIL_CODES = defineErrorCodes({
  MAIL_UNAVAILABLE: { message: 'This server cannot send email right now: its operator has not configured mail.', status: 200 },
});
