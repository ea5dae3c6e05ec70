import { createHash } from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config';
import { badUserInput } from '../errors/errors';

export const PASSWORD_MAX_LENGTH = 256;
// NFKC can compose several code points into one (at most about four), and a code point takes at most
// two UTF-16 units, so anything longer than this is over the maximum whatever it normalises to. The
// check is O(1) and runs before normalisation, so a 1 MB password costs nothing.
const RAW_UNITS_LIMIT = PASSWORD_MAX_LENGTH * 8;
// A local part this short ("a@x.io") is not a meaningful thing to forbid inside a password.
const MIN_LOCAL_PART = 3;

/** NIST SP 800-63B: compare passwords after Unicode NFKC normalisation. */
export const normalizePassword = (password: string): string => password.normalize('NFKC');

const codePoints = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

// The ~49,000 most common passwords of zxcvbn-ts's dictionary, lower-cased; built on first use.
let common: Set<string> | undefined;
const commonPasswords = (): Set<string> => (common ??= new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase())));

/** Rejects a password that can never be valid because it is too long, before any hashing. */
export function assertPasswordNotOversized(password: string, field = 'password'): void {
  if (password.length > RAW_UNITS_LIMIT || codePoints(normalizePassword(password)) > PASSWORD_MAX_LENGTH) {
    throw badUserInput(field, `Password must be at most ${PASSWORD_MAX_LENGTH} characters.`);
  }
}

/**
 * The rules for a new password (ASVS 6.2): a length in code points after NFKC, not one of the most
 * common passwords, not containing the account's email or its local part, and, when configured, not in
 * a breach corpus. No composition rules.
 */
export class PasswordPolicy {
  constructor(
    private readonly options: Config['passwords'],
    private readonly log: FastifyBaseLogger,
  ) {}

  get minLength(): number {
    return this.options.minLength;
  }

  async assertAcceptable(password: string, email: string, field = 'password'): Promise<void> {
    assertPasswordNotOversized(password, field);
    const normalized = normalizePassword(password);
    if (codePoints(normalized) < this.options.minLength) {
      throw badUserInput(field, `Password must be at least ${this.options.minLength} characters.`);
    }
    const lower = normalized.toLowerCase();
    if (commonPasswords().has(lower)) throw badUserInput(field, 'This password is too common. Choose another.');
    const [localPart] = email.split('@');
    if (lower.includes(email) || (localPart.length >= MIN_LOCAL_PART && lower.includes(localPart))) {
      throw badUserInput(field, 'Password must not contain your email address.');
    }
    if (await this.isBreached(normalized)) {
      throw badUserInput(field, 'This password has appeared in a data breach. Choose another.');
    }
  }

  /**
   * k-anonymity range query (the Pwned Passwords protocol): only the first 5 hex characters of the
   * SHA-1 leave the server. A slow or failing service does not block sign-ups: it is logged and skipped.
   */
  private async isBreached(password: string): Promise<boolean> {
    const api = this.options.breachedApi;
    if (!api) return false;
    const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const [prefix, suffix] = [sha1.slice(0, 5), sha1.slice(5)];
    try {
      const response = await fetch(`${api.replace(/\/$/, '')}/${prefix}`, {
        headers: { 'add-padding': 'true', 'user-agent': 'Gatehouse' },
        signal: AbortSignal.timeout(this.options.breachedTimeoutMs),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.text();
      return body.split('\n').some((line) => {
        const [hash, count] = line.trim().split(':');
        return hash === suffix && Number(count) > 0;
      });
    } catch (error) {
      this.log.warn({ err: { message: (error as Error).message } }, 'breached-password check unavailable; skipped');
      return false;
    }
  }
}
