// The one table of error codes a client can see in `extensions.code`, with the message each carries.
// GraphQL's own request-level codes (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_REQUEST, ...)
// pass through unchanged and are listed in PASSTHROUGH_CODES.

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  LAST_ADMIN: 'LAST_ADMIN',
  RATE_LIMITED: 'RATE_LIMITED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NOT_FOUND: 'NOT_FOUND',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** `extensions.reason` values that come with UNAUTHENTICATED. */
export const AuthReason = {
  TOKEN_MISSING: 'TOKEN_MISSING',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  SESSION_EXPIRED: 'SESSION_EXPIRED',
  SESSION_REVOKED: 'SESSION_REVOKED',
  REFRESH_TOKEN_REUSED: 'REFRESH_TOKEN_REUSED',
  USER_DISABLED: 'USER_DISABLED',
} as const;
export type AuthReason = (typeof AuthReason)[keyof typeof AuthReason];

export const ERROR_MESSAGES: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'Not authenticated.',
  FORBIDDEN: 'You do not have permission to do this.',
  BAD_USER_INPUT: 'Invalid input.',
  EMAIL_TAKEN: 'An account with this email, or one that looks like it, already exists.',
  LAST_ADMIN: 'At least one enabled ADMIN must remain.',
  RATE_LIMITED: 'Too many attempts. Try again later.',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  NOT_FOUND: 'Not found.',
  SERVICE_UNAVAILABLE: 'The service is temporarily unavailable. Try again shortly.',
  INTERNAL_SERVER_ERROR: 'Internal server error.',
};

export const AUTH_REASON_MESSAGES: Record<AuthReason, string> = {
  TOKEN_MISSING: 'Authentication required: send an access token as "Authorization: Bearer <token>".',
  TOKEN_INVALID: 'The access token is invalid.',
  TOKEN_EXPIRED: 'The access token has expired.',
  TOKEN_REVOKED: 'The access token has been revoked.',
  INVALID_CREDENTIALS: 'Invalid email or password.',
  SESSION_EXPIRED: 'The session has expired. Log in again.',
  SESSION_REVOKED: 'The session has been ended. Log in again.',
  REFRESH_TOKEN_REUSED: 'This refresh token was already used. The session has been ended for safety. Log in again.',
  USER_DISABLED: 'This account is disabled.',
};

/**
 * The messages above that speak of the access token, as they read when the refresh token (argument or
 * cookie) was refused instead; the reason stays the same.
 */
export const REFRESH_TOKEN_MESSAGES = {
  TOKEN_INVALID: 'The refresh token is invalid.',
} as const satisfies Partial<Record<AuthReason, string>>;

/** Codes raised by GraphQL itself or Apollo Server that reach clients as they are. */
export const PASSTHROUGH_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);
