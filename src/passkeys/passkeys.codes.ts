import { defineErrorCodes, defineReasons } from '../errors/define';

/** Codes of passkeys; composed into the one table in src/errors/codes.ts. */
export const PASSKEY_CODES = defineErrorCodes({
  // Production without WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS.
  PASSKEYS_UNAVAILABLE: {
    message: 'This server does not offer passkeys: its operator has not set WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS.',
    status: 200,
  },
  LAST_SIGN_IN_METHOD: {
    message: 'This is the last way to sign in to this account (no password, no other passkey): add another before removing it.',
    status: 200,
  },
});

/** Reasons that come with UNAUTHENTICATED from loginWithPasskey (and BAD_USER_INPUT from registerPasskey). */
export const PASSKEY_REASONS = defineReasons({
  // Unknown credential, a removed passkey, a disabled account, a bad signature, a counter gone backwards:
  // all alike, so an assertion tells its sender nothing about which accounts or passkeys exist.
  PASSKEY_INVALID: { message: 'This passkey cannot sign in here. Try another way to sign in.' },
  PASSKEY_CHALLENGE_INVALID: { message: 'This passkey request is unknown, used or older than 5 minutes. Start again.' },
  PASSKEY_ORIGIN_REFUSED: { message: 'This page is not an origin this server accepts passkeys from (WEBAUTHN_ORIGINS).' },
  PASSKEY_RP_ID_REFUSED: { message: 'The passkey was made for another site (its RP ID is not WEBAUTHN_RP_ID).' },
  PASSKEY_USER_VERIFICATION_REQUIRED: {
    message: 'This account has a second factor: sign in with a passkey that verifies you (PIN or biometrics), or with the password and code.',
  },
});
