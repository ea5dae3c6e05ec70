import { GraphQLError } from 'graphql';
import { AUTH_REASON_MESSAGES, AuthReason, ERROR_MESSAGES, ErrorCode, REFRESH_TOKEN_MESSAGES } from './codes';

/** An error whose message and extensions are safe to show a client as they are. */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_MESSAGES[code],
    extensions: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...extensions } });
    this.name = 'AppError';
  }
}

export const unauthenticated = (reason: AuthReason): AppError =>
  new AppError(ErrorCode.UNAUTHENTICATED, AUTH_REASON_MESSAGES[reason], { reason });

/** UNAUTHENTICATED for a refresh token: the same reason, a message that names the refresh token. */
export const refreshTokenRefused = (reason: keyof typeof REFRESH_TOKEN_MESSAGES): AppError =>
  new AppError(ErrorCode.UNAUTHENTICATED, REFRESH_TOKEN_MESSAGES[reason], { reason });

export const forbidden = (): AppError => new AppError(ErrorCode.FORBIDDEN);

export const badUserInput = (field: string, message: string): AppError =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, { field });

export const emailTaken = (): AppError => new AppError(ErrorCode.EMAIL_TAKEN, ERROR_MESSAGES.EMAIL_TAKEN, { field: 'email' });

export const notFound = (): AppError => new AppError(ErrorCode.NOT_FOUND);

export const lastAdmin = (): AppError => new AppError(ErrorCode.LAST_ADMIN);

/** `retryAfter`: whole seconds until the limit lets a new attempt through. */
export const rateLimited = (msBeforeNext: number): AppError =>
  new AppError(ErrorCode.RATE_LIMITED, ERROR_MESSAGES.RATE_LIMITED, { retryAfter: Math.max(1, Math.ceil(msBeforeNext / 1000)) });
