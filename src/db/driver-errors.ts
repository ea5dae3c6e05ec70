import { ConnectionException, DriverException } from '@mikro-orm/core';

// Error codes that mean "the database cannot be reached right now", as opposed to a bug.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'ENOENT']);
// SQLSTATE class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now), 53300 (too many connections).
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;
const MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Timeout acquiring a connection/i,
  /Client has encountered a connection error/i,
  /Connection is closed/i,
  /the database system is (starting up|shutting down)/i,
];

/** True when `error` (or anything in its cause chain) says the database is unreachable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof ConnectionException) return true;
    const { code, severity, message, cause, thrownValue } = current as Record<string, unknown>;
    if (typeof code === 'string' && SQLSTATE.test(code)) {
      // The server said it. Severity ERROR means only the statement failed and the session goes on: a NUL
      // byte in a value is 08P01 "invalid message format" at ERROR. An ended session or server is FATAL.
      if (UNAVAILABLE_SQLSTATE.test(code) && severity !== 'ERROR') return true;
    } else if (typeof code === 'string' && NETWORK_CODES.has(code)) {
      return true;
    } else if (typeof message === 'string' && MESSAGES.some((pattern) => pattern.test(message))) {
      return true;
    }
    // graphql-js wraps a thrown non-Error (the driver throws a bare socket error object) as NonErrorThrown.
    current = cause ?? thrownValue;
  }
  return false;
}

/**
 * What of an error may go to the log. A driver error's message and detail carry the SQL with its
 * parameters interpolated (a password hash, an email), so only its kind and location are kept.
 */
export function loggableError(error: unknown): unknown {
  if (!(error instanceof DriverException)) return error;
  const { name, code, table, constraint, column, routine } = error as DriverException & Record<string, unknown>;
  return { type: name, code, table, constraint, column, routine };
}
