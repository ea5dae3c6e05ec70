import { unwrapResolverError } from '@apollo/server/errors';
import type { FastifyBaseLogger } from 'fastify';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnavailable, loggableError } from '../db/driver-errors';
import { ERROR_CODES, ErrorCode, PASSTHROUGH_CODES, type OwnErrorCode } from '../errors/codes';
import { AppError } from '../errors/errors';

export interface FormatErrorOptions {
  exposeStack: boolean;
  /** Production: "Did you mean ...?" would describe the schema to someone who may not introspect it. */
  hideSuggestions: boolean;
}

// graphql-js appends every suggestion (fields, arguments, types, enum values, input fields; in validation
// and in variable coercion alike) as " Did you mean <names>?"; names cannot contain "?".
const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * Decides what a client may see of an error. Our own AppErrors and GraphQL's request errors go out as
 * they are (without suggestions in production); an unreachable database becomes SERVICE_UNAVAILABLE;
 * everything else is masked as INTERNAL_SERVER_ERROR and logged in full here, so no SQL, stack or
 * internal message ever leaves. Every error of every response passes here, so this is the one place
 * suggestions are removed.
 */
export function createFormatError(log: FastifyBaseLogger, { exposeStack, hideSuggestions }: FormatErrorOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code;
    if (original instanceof AppError || (typeof code === 'string' && PASSTHROUGH_CODES.has(code) && original instanceof GraphQLError)) {
      const shown = exposeStack ? formatted : withoutStack(formatted);
      return hideSuggestions ? { ...shown, message: shown.message.replace(SUGGESTION, '') } : shown;
    }
    // Decided, and logged, by the whole chain: a driver error often wraps, or replaces, the one that says why.
    if (isDatabaseUnavailable(original)) {
      log.warn({ err: loggableError(original), path: formatted.path }, 'database unavailable');
      return masked(formatted, ErrorCode.SERVICE_UNAVAILABLE);
    }
    log.error({ err: loggableError(original, { stack: true }), path: formatted.path }, 'unexpected error');
    return masked(formatted, ErrorCode.INTERNAL_SERVER_ERROR);
  };
}

const masked = (formatted: GraphQLFormattedError, code: OwnErrorCode): GraphQLFormattedError => ({
  message: ERROR_CODES[code].message,
  ...(formatted.locations && { locations: formatted.locations }),
  ...(formatted.path && { path: formatted.path }),
  extensions: { code },
});

function withoutStack(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions || !('stacktrace' in formatted.extensions)) return formatted;
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
