import { StartupError } from './common/startup-error';
import { ConfigError } from './config';
import { loggableError } from './db/driver-errors';

/**
 * What the server and the CLI print when they stop on an error: a setting to correct is said in a line
 * (or a list, for the configuration); anything else is a bug, shown as its chain and stack frames, never
 * its message, which a driver error fills with SQL and its values.
 */
export function failureText(error: unknown): string {
  if (error instanceof ConfigError || error instanceof StartupError) return error.message;
  return `Unexpected error: ${JSON.stringify(loggableError(error, { stack: true }), null, 2)}`;
}
