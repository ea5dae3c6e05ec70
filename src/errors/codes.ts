import { LIVE_CODES } from '../live/live.codes';
import { MAIL_CODES } from '../mail/mail.codes';
import { MFA_CODES, MFA_REASONS } from '../mfa/mfa.codes';
import { PASSKEY_CODES, PASSKEY_REASONS } from '../passkeys/passkeys.codes';
import { USER_CODES } from '../users/user.codes';
import { AUTH_REASONS, CORE_CODES } from './core.codes';
import { composeTables, namesOf, type ErrorCodeSpec } from './define';

// The one table of every `extensions.code` and `extensions.reason` a client can see.
//
// A feature adds its own: declare them in its folder with defineErrorCodes / defineReasons (from
// ./define, which imports nothing; see src/users/user.codes.ts), and add that table to the list below.
// A code or reason declared twice does not compile. Raise a code with `new AppError(ErrorCode.X)` or a
// helper in ./errors; its message and HTTP status come from here, and README's Errors table lists them
// (tests/unit/error-codes.test.ts checks it). This is the one module of errors/ that imports a feature
// folder, and only its codes file, the way the entity list does.

export const ERROR_CODES = composeTables(CORE_CODES, USER_CODES, MAIL_CODES, MFA_CODES, LIVE_CODES, PASSKEY_CODES);
export const REASONS = composeTables(AUTH_REASONS, MFA_REASONS, PASSKEY_REASONS);

/** Every code's name, for raise sites and comparisons: `ErrorCode.RATE_LIMITED === 'RATE_LIMITED'`. */
export const ErrorCode = namesOf(ERROR_CODES);
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Every `extensions.reason`: they come with UNAUTHENTICATED (`unauthenticated(AuthReason.TOKEN_EXPIRED)`),
 * and those with a `linkMessage` also with BAD_USER_INPUT for a link token (`linkTokenRefused`).
 */
export const AuthReason = namesOf(REASONS);
export type AuthReason = keyof typeof REASONS;

/** The codes our own errors carry: each has its message. */
export type OwnErrorCode = { [K in ErrorCode]: (typeof ERROR_CODES)[K] extends { message: string } ? K : never }[ErrorCode];

/** The reasons whose message has a link-token variant. */
export type LinkTokenReason = { [K in AuthReason]: (typeof REASONS)[K] extends { linkMessage: string } ? K : never }[AuthReason];

/** The reasons whose message has a refresh-token variant. */
export type RefreshTokenReason = { [K in AuthReason]: (typeof REASONS)[K] extends { refreshTokenMessage: string } ? K : never }[AuthReason];

const codesWhere = (has: (spec: ErrorCodeSpec) => boolean | undefined): ReadonlySet<string> =>
  new Set(
    Object.values<ErrorCodeSpec & { code: string }>(ERROR_CODES)
      .filter((spec) => has(spec))
      .map((spec) => spec.code),
  );

/** Codes raised by GraphQL itself or Apollo Server that reach clients as they are. */
export const PASSTHROUGH_CODES = codesWhere((spec) => spec.passthrough);
/** Codes of a well-formed request whose document or variables fail. */
export const DOCUMENT_ERROR_CODES = codesWhere((spec) => spec.documentError);

/** The declaration of a code a client sees, if it is one of ours or GraphQL's. */
export const errorCodeSpec = (code: unknown): (ErrorCodeSpec & { code: string }) | undefined =>
  typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) ? (ERROR_CODES as Record<string, ErrorCodeSpec & { code: string }>)[code] : undefined;
