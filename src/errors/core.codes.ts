import { defineErrorCodes, defineReasons } from './define';

// The codes every part of the server uses, with what a client sees of each. A feature's own codes are
// declared in its folder and composed with these in ./codes.ts.

export const CORE_CODES = defineErrorCodes({
  UNAUTHENTICATED: { message: 'Not authenticated.', status: 200 },
  FORBIDDEN: { message: 'You do not have permission to do this.', status: 200 },
  // Ours for a field's value (with `field`), and graphql-js's for a wrongly typed variable.
  BAD_USER_INPUT: { message: 'Invalid input.', status: 400, passthrough: true, documentError: true },
  EMAIL_TAKEN: { message: 'An account with this email, or one that looks like it, already exists.', status: 200 },
  RATE_LIMITED: { message: 'Too many attempts. Try again later.', status: 429, refusesRequest: true, retryAfter: true },
  PAYLOAD_TOO_LARGE: { message: 'The request body is too large.', status: 413 },
  NOT_FOUND: { message: 'Not found.', status: 404 },
  SERVICE_UNAVAILABLE: { message: 'The service is temporarily unavailable. Try again shortly.', status: 200 },
  INTERNAL_SERVER_ERROR: { message: 'Internal server error.', status: 500 },
  // Raised by GraphQL itself or Apollo Server, with their own message; they reach clients as they are.
  GRAPHQL_PARSE_FAILED: { status: 400, passthrough: true, documentError: true },
  GRAPHQL_VALIDATION_FAILED: { status: 400, passthrough: true, documentError: true },
  // A malformed request; the HTTP layer sends it too, with the more precise 4xx it found (405, 408, 415, 431, ...).
  BAD_REQUEST: { status: 400, passthrough: true },
  PERSISTED_QUERY_NOT_FOUND: { status: 200, passthrough: true },
  // Apollo answers 200 so that APQ clients read the body; they read it from a 400 too, and a request for
  // a feature the server does not offer (persisted queries are off: see apollo.ts) is a client error.
  PERSISTED_QUERY_NOT_SUPPORTED: { status: 400, passthrough: true, refusesRequest: true },
  OPERATION_RESOLUTION_FAILURE: { status: 400, passthrough: true },
});

/**
 * `extensions.reason` values that come with UNAUTHENTICATED, each with its message. TOKEN_INVALID and
 * TOKEN_EXPIRED also come with BAD_USER_INPUT (`field: token`) for a link token, with their `linkMessage`:
 * those mutations need no sign-in, and a client that signs its user out on UNAUTHENTICATED must not do so
 * for a stale link clicked while signed in.
 */
export const AUTH_REASONS = defineReasons({
  TOKEN_MISSING: { message: 'Authentication required: send an access token as "Authorization: Bearer <token>".' },
  TOKEN_INVALID: {
    message: 'The access token is invalid.',
    refreshTokenMessage: 'The refresh token is invalid.',
    linkMessage: 'This link is invalid or was already used. Request a new one.',
  },
  TOKEN_EXPIRED: { message: 'The access token has expired.', linkMessage: 'This link has expired. Request a new one.' },
  TOKEN_REVOKED: { message: 'The access token has been revoked.' },
  INVALID_CREDENTIALS: { message: 'Invalid email or password.' },
  SESSION_EXPIRED: { message: 'The session has expired. Log in again.' },
  SESSION_REVOKED: { message: 'The session has been ended. Log in again.' },
  REFRESH_TOKEN_REUSED: { message: 'This refresh token was already used. The session has been ended for safety. Log in again.' },
  USER_DISABLED: { message: 'This account is disabled.' },
  // REQUIRE_VERIFIED_EMAIL: said only after the right password (and after USER_DISABLED).
  EMAIL_NOT_VERIFIED: {
    message: 'Confirm your email address first: open the link we sent you, or ask for a new one (resendVerificationEmail).',
  },
  // Step-up: a sensitive change needs a sign-in (or a password check) within REAUTH_WINDOW.
  REAUTHENTICATION_REQUIRED: { message: 'This change needs a recent sign-in: confirm your password (and second factor) and try again.' },
});
