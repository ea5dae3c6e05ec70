import { defineErrorCodes } from '../errors/define';

/** Codes of the live channel (subscriptions over WebSocket); composed into the one table in src/errors/codes.ts. */
export const LIVE_CODES = defineErrorCodes({
  TOO_MANY_SUBSCRIPTIONS: { message: 'Too many subscriptions on this connection (LIVE_MAX_SUBSCRIPTIONS): complete one first.', status: 200 },
});
