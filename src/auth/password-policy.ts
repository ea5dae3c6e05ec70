import { badUserInput } from '../errors/errors';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
// NFKC can compose several code points into one (at most about four), and a code point takes at most
// two UTF-16 units, so anything longer than this is over the maximum whatever it normalises to. The
// check is O(1) and runs before normalisation, so a 1 MB password costs nothing.
const RAW_UNITS_LIMIT = PASSWORD_MAX_LENGTH * 8;

/** NIST SP 800-63B: compare passwords after Unicode NFKC normalisation. */
export const normalizePassword = (password: string): string => password.normalize('NFKC');

const codePoints = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

/** Rejects a password that can never be valid because it is too long, before any hashing. */
export function assertPasswordNotOversized(password: string, field = 'password'): void {
  if (password.length > RAW_UNITS_LIMIT || codePoints(normalizePassword(password)) > PASSWORD_MAX_LENGTH) {
    throw badUserInput(field, `Password must be at most ${PASSWORD_MAX_LENGTH} characters.`);
  }
}

/** The rules for a new password: length in code points after NFKC, and nothing else (ASVS 6.2). */
export function assertAcceptablePassword(password: string, field = 'password'): void {
  assertPasswordNotOversized(password, field);
  if (codePoints(normalizePassword(password)) < PASSWORD_MIN_LENGTH) {
    throw badUserInput(field, `Password must be at least ${PASSWORD_MIN_LENGTH} characters.`);
  }
}
