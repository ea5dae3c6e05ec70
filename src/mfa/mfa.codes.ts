import { defineErrorCodes, defineReasons } from '../errors/define';

/** Codes of the second factor; composed into the one table in src/errors/codes.ts. */
export const MFA_CODES = defineErrorCodes({
  MFA_ALREADY_ENABLED: { message: 'A second factor is already enabled. Disable it first to enroll a new one.', status: 200 },
  MFA_NOT_ENABLED: { message: 'No second factor is enabled on this account.', status: 200 },
  // Production without ENCRYPTION_KEY: no secret can be stored.
  MFA_UNAVAILABLE: { message: 'This server cannot enroll second factors: its operator has not set ENCRYPTION_KEY.', status: 200 },
});

/** Reasons that come with UNAUTHENTICATED from verifyMfa, reauthenticate and REQUIRE_MFA_FOR_ROLES. */
export const MFA_REASONS = defineReasons({
  MFA_CODE_INVALID: { message: 'The code is not correct (or was already used). Try the current code.' },
  MFA_CHALLENGE_INVALID: { message: 'This sign-in cannot be completed (unknown, used, or ended after too many wrong codes). Log in again.' },
  MFA_CHALLENGE_EXPIRED: { message: 'This sign-in took too long. Log in again.' },
  MFA_ENROLLMENT_REQUIRED: { message: 'Your role requires a second factor: enroll one (startTotpEnrollment) first, then sign in again.' },
});
