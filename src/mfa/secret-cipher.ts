import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What opening a sealed secret found: the plaintext, and whether it was sealed with the previous key. */
export interface Opened {
  plain: string;
  /** Sealed with ENCRYPTION_KEY_PREVIOUS: seal it again with the current key (rotation). */
  stale: boolean;
}

/** A short public name for a key, written beside each ciphertext, so the right key is tried first. */
const keyId = (key: Buffer): string => createHash('sha256').update(key).digest('base64url').slice(0, 8);

/**
 * Encrypts second-factor secrets at rest: AES-256-GCM under ENCRYPTION_KEY, a fresh 96-bit IV per seal,
 * and the owner's id as associated data, so a ciphertext copied onto another account's row does not
 * decrypt. The format is `v1.<key id>.<base64url(iv | ciphertext | tag)>`. Rotation: the new key signs as
 * ENCRYPTION_KEY and the old one stays as ENCRYPTION_KEY_PREVIOUS; `open` says when it used the old one,
 * and the caller seals the secret again with the new one (README, "Rotating ENCRYPTION_KEY").
 */
export class SecretCipher {
  private readonly current: { id: string; key: Buffer };
  private readonly previous: { id: string; key: Buffer } | undefined;

  /** Keys as hex (Config.mfa). */
  constructor(currentHex: string, previousHex?: string) {
    const current = Buffer.from(currentHex, 'hex');
    if (current.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes');
    this.current = { id: keyId(current), key: current };
    const previous = previousHex ? Buffer.from(previousHex, 'hex') : undefined;
    this.previous = previous ? { id: keyId(previous), key: previous } : undefined;
  }

  seal(owner: string, plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(owner, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}.${this.current.id}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** The secret, or undefined when no configured key opens it (another key, another owner, tampered, malformed). */
  open(owner: string, sealed: string): Opened | undefined {
    const [version, id, payload] = sealed.split('.');
    if (version !== VERSION || !payload) return undefined;
    const bytes = Buffer.from(payload, 'base64url');
    if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
    const keys = [this.current, this.previous].filter((k): k is { id: string; key: Buffer } => k !== undefined);
    // The named key first; the other too, in case two keys share an id prefix (harmless: GCM authenticates).
    keys.sort((a, b) => Number(b.id === id) - Number(a.id === id));
    for (const candidate of keys) {
      const plain = decrypt(candidate.key, owner, bytes);
      if (plain !== undefined) return { plain, stale: candidate !== this.current };
    }
    return undefined;
  }
}

function decrypt(key: Buffer, owner: string, bytes: Buffer): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(owner, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
