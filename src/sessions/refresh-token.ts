import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { assertSecretResolved } from '../tokens/signing-keys';

// 256 random bits, base64url: 43 characters.
const FORMAT = /^[A-Za-z0-9_-]{43}$/;

export const newRefreshToken = (): string => randomBytes(32).toString('base64url');

export const isRefreshTokenFormat = (token: string): boolean => FORMAT.test(token);

/** Refresh tokens are stored only as this hash; 256 random bits need no slow hash. */
export const hashRefreshToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * The token that replaces `parent` on rotation is HMAC(key, parent): unguessable without both, and
 * recomputable, so a second tab refreshing with `parent` inside the grace window gets the very same new
 * token although only hashes are stored.
 */
export class RotationKey {
  private readonly key: Buffer;

  /**
   * `secret` is JWT_SECRET, also when JWT_KEYS signs the access tokens: it is always there (required in
   * production, generated elsewhere), HKDF with this label makes a key no signature ever uses, and every
   * deployment's rotation key has come from it, so a different root would end, as a theft, each session
   * whose refresh is retried in the grace window across the change. Config.jwt.secret says more.
   */
  constructor(secret: string) {
    assertSecretResolved(secret);
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'gatehouse refresh-token rotation', 32));
  }

  childOf(parent: string): string {
    return createHmac('sha256', this.key).update(parent).digest('base64url');
  }
}
