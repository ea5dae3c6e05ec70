import { createHash, randomInt } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
// No 0/O, 1/I/L, 2/Z, 5/S, 8/B: nothing that reads as another character when written down.
const ALPHABET = 'ACDEFGHJKMNPQRTUVWXY34679';
const LENGTH = 10;

/** `XXXXX-XXXXX`: 10 characters from a 25-letter alphabet, ~46 bits each, from the CSPRNG. */
export function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** What a user typed, as stored: upper case, without spaces or dashes. */
export const normalizeRecoveryCode = (typed: string): string => typed.toUpperCase().replace(/[\s-]/g, '');

export const hashRecoveryCode = (typed: string): string => createHash('sha256').update(normalizeRecoveryCode(typed)).digest('hex');
