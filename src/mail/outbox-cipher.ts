import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { assertSecretResolved } from '../tokens/signing-keys';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts a queued message's data at rest. The data of a link mail holds the one-time token itself (only
 * its SHA-256 is kept beside the account), so a copy of the outbox table (a backup, a replica, a support
 * query) must not hand out working reset links: the data is AES-256-GCM under a key derived by HKDF from
 * JWT_SECRET with a label of its own (so no signature or rotation ever uses the same key), with the row's
 * id and template as associated data, so a ciphertext moved to another row does not decrypt. The
 * dispatcher erases the data once the message is sent or has failed for good. A row that cannot be
 * decrypted (JWT_SECRET changed since it was queued, or the row was tampered with) fails for good.
 */
export class OutboxCipher {
  private readonly key: Buffer;

  /** `secret` is JWT_SECRET, the root every instance shares (as for RotationKey: config.jwt.secret says why). */
  constructor(secret: string) {
    assertSecretResolved(secret);
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'gatehouse mail-outbox data', 32));
  }

  /** `v1.<base64url(iv | ciphertext | tag)>` */
  seal(id: string, template: string, data: unknown): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${id}|${template}`, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** The data, or undefined when it cannot be decrypted (another key, tampered, or malformed). */
  open(id: string, template: string, sealed: string): unknown {
    const [version, payload] = sealed.split('.', 2);
    if (version !== VERSION || !payload) return undefined;
    const bytes = Buffer.from(payload, 'base64url');
    if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(`${id}|${template}`, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
      return JSON.parse(plain.toString('utf8'));
    } catch {
      return undefined;
    }
  }
}
