import { createHash, randomBytes } from 'node:crypto';

// 256 random bits, base64url: 43 characters.
const FORMAT = /^[A-Za-z0-9_-]{43}$/;

export const newLinkToken = (): string => randomBytes(32).toString('base64url');

/** A string that cannot be a link token is refused without a database round trip. */
export const isLinkTokenFormat = (token: string): boolean => FORMAT.test(token);

/** Only this hash is stored; 256 random bits need no slow hash. */
export const hashLinkToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Where each kind of link lands in the app (APP_URL): the token rides in the fragment, which browsers never send. */
export const LINK_PATHS = {
  VERIFY_EMAIL: '/verify-email',
  RESET_PASSWORD: '/reset-password',
  CHANGE_EMAIL: '/confirm-email',
} as const;
