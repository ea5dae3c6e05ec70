import { defineErrorCodes } from '../errors/define';

/** Codes of user administration; composed into the one table in src/errors/codes.ts. */
export const USER_CODES = defineErrorCodes({
  LAST_ADMIN: { message: 'At least one enabled ADMIN must remain.', status: 200 },
});
