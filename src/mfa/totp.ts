import { Secret, TOTP } from 'otpauth';

// RFC 6238 as authenticator apps implement it: HMAC-SHA-1, 6 digits, 30-second steps.
const PERIOD = 30;
const DIGITS = 6;
// ±1 step: a code from the previous or next 30 seconds still passes (clock drift, typing time).
const WINDOW = 1;

const totp = (secret: string, issuer = 'Gatehouse', label = '') =>
  new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD, secret: Secret.fromBase32(secret) });

/** A new 160-bit secret (RFC 4226's recommended length), base32 as apps expect it. */
export const newTotpSecret = (): string => new Secret({ size: 20 }).base32;

/** The `otpauth://totp/...` URI an authenticator app scans. */
export const totpUri = (secret: string, issuer: string, account: string): string => totp(secret, issuer, account).toString();

/** The step (30-second counter) a `timestamp` falls in. */
export const totpStep = (timestamp: number): number => Math.floor(timestamp / 1000 / PERIOD);

/** The code of a step (tests, and nothing else, compute codes this way). */
export const totpCode = (secret: string, timestamp: number): string => totp(secret).generate({ timestamp });

/**
 * The step `code` belongs to, within ±WINDOW of `timestamp`, or undefined when it matches none. Whether
 * that step was already used is the caller's question (TotpFactor.lastUsedStep).
 */
export function matchTotp(secret: string, code: string, timestamp: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret).validate({ token: code, timestamp, window: WINDOW });
  return delta === null ? undefined : totpStep(timestamp) + delta;
}
