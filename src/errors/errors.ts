import { GraphQLError } from 'graphql';
import { ERROR_CODES, ErrorCode, REASONS, type AuthReason, type LinkTokenReason, type OwnErrorCode, type RefreshTokenReason } from './codes';

/** An error whose message and extensions are safe to show a client as they are. */
export class AppError extends GraphQLError {
  constructor(
    readonly code: OwnErrorCode,
    message: string = ERROR_CODES[code].message,
    extensions: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...extensions } });
    this.name = 'AppError';
  }
}

export const unauthenticated = (reason: AuthReason): AppError => new AppError(ErrorCode.UNAUTHENTICATED, REASONS[reason].message, { reason });

/** UNAUTHENTICATED for a refresh token: the same reason, a message that names the refresh token. */
export const refreshTokenRefused = (reason: RefreshTokenReason): AppError =>
  new AppError(ErrorCode.UNAUTHENTICATED, REASONS[reason].refreshTokenMessage, { reason });

/**
 * A link token from a mail (verify, reset, confirm a new address) was refused: BAD_USER_INPUT on the
 * `token` field, with the reason and a message that names the link. Not UNAUTHENTICATED: these mutations
 * need no sign-in, and clients sign their user out on UNAUTHENTICATED.
 */
export const linkTokenRefused = (reason: LinkTokenReason): AppError =>
  new AppError(ErrorCode.BAD_USER_INPUT, REASONS[reason].linkMessage, { field: 'token', reason });

export const forbidden = (): AppError => new AppError(ErrorCode.FORBIDDEN);

export const badUserInput = (field: string, message: string): AppError => new AppError(ErrorCode.BAD_USER_INPUT, message, { field });

export const emailTaken = (field = 'email'): AppError => new AppError(ErrorCode.EMAIL_TAKEN, undefined, { field });

export const notFound = (): AppError => new AppError(ErrorCode.NOT_FOUND);

export const lastAdmin = (): AppError => new AppError(ErrorCode.LAST_ADMIN);

/** `retryAfter`: whole seconds until the limit lets a new attempt through. */
export const rateLimited = (msBeforeNext: number): AppError =>
  new AppError(ErrorCode.RATE_LIMITED, undefined, { retryAfter: Math.max(1, Math.ceil(msBeforeNext / 1000)) });
