import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import { normalizePassword } from './password-policy';

// Stored as "<scheme>$<hash>" so the scheme can change later without guessing what a hash is.
const SCHEME = 'bcrypt-sha256';

/**
 * bcrypt reads at most 72 bytes, and a 256-character password can be 1 KB of UTF-8. Hashing it first
 * with SHA-256 makes every byte count; base64 keeps NUL bytes (which end a bcrypt input) out.
 */
const prehash = (password: string): string => createHash('sha256').update(normalizePassword(password), 'utf8').digest('base64');

/** The only place passwords are hashed and compared. bcrypt runs on libuv's thread pool. */
export class PasswordHasher {
  private readonly dummyHash: Promise<string>;

  constructor(private readonly cost: number) {
    // Compared against when the account does not exist, so that takes as long as a wrong password.
    this.dummyHash = bcrypt.hash(randomBytes(16).toString('hex'), cost);
  }

  async hash(password: string): Promise<string> {
    return `${SCHEME}$${await bcrypt.hash(prehash(password), this.cost)}`;
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const separator = stored.indexOf('$');
    if (stored.slice(0, separator) !== SCHEME) return this.verifyNothing(password);
    return bcrypt.compare(prehash(password), stored.slice(separator + 1));
  }

  /** True when `stored` was made with another scheme or cost than the configured one. */
  needsRehash(stored: string): boolean {
    const separator = stored.indexOf('$');
    if (stored.slice(0, separator) !== SCHEME) return true;
    return bcrypt.getRounds(stored.slice(separator + 1)) !== this.cost;
  }

  /** Spends the time of a real comparison and fails. */
  async verifyNothing(password: string): Promise<false> {
    await bcrypt.compare(prehash(password), await this.dummyHash);
    return false;
  }
}
