import { join } from 'node:path';
import type { EnvReader } from './env';

export const ENCRYPTION_KEY_BYTES = 32;
const DEVELOPMENT_KEY_FILE = 'encryption-key';

export interface MfaConfig {
  readonly mfa: {
    /**
     * ENCRYPTION_KEY, 32 bytes (given as base64 or hex, kept here as hex: a frozen config holds no Buffer): encrypts second-factor secrets at rest (AES-256-GCM).
     * Undefined while `keySource` is 'pending' (start-up reads or generates `keyFile`: dev-secret.ts), and
     * in production without it, where no factor can be enrolled and start-up refuses if one exists.
     */
    readonly encryptionKey: string | undefined;
    /** ENCRYPTION_KEY_PREVIOUS: still decrypts during a rotation; each secret is re-encrypted on its next use. */
    readonly previousEncryptionKey: string | undefined;
    readonly keySource: 'env' | 'generated' | 'file' | 'pending' | 'none';
    readonly keyFile: string | undefined;
    /** REQUIRE_MFA_FOR_ROLES: these roles need a second factor; without one a session can only enroll. */
    readonly requiredForRoles: readonly string[];
  };
}

/** A 32-byte key written as 64 hex digits or base64 (url-safe or not); undefined for anything else. */
export function parseEncryptionKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === ENCRYPTION_KEY_BYTES ? bytes : undefined;
}

// The values of Role (src/users/role.ts), which config/ does not import; tests/unit/mfa.test.ts compares them.
export const KNOWN_ROLES = ['USER', 'ADMIN'] as const;

export function readMfa(r: EnvReader, production: boolean, dataDir: string): MfaConfig {
  const roles: readonly string[] = KNOWN_ROLES;
  const key = (name: string): string | undefined => {
    const raw = r.env[name]?.trim();
    if (!raw) return undefined;
    const parsed = parseEncryptionKey(raw);
    if (!parsed) r.problem(`${name} must be ${ENCRYPTION_KEY_BYTES} random bytes, as base64 or hex (try: openssl rand -base64 32)`);
    return parsed?.toString('hex');
  };
  const encryptionKey = key('ENCRYPTION_KEY');
  const previousEncryptionKey = key('ENCRYPTION_KEY_PREVIOUS');
  if (previousEncryptionKey && !r.env.ENCRYPTION_KEY?.trim()) r.problem('ENCRYPTION_KEY_PREVIOUS needs ENCRYPTION_KEY (the new key)');
  const requiredForRoles = r
    .str('REQUIRE_MFA_FOR_ROLES', '')
    .split(',')
    .map((role) => role.trim().toUpperCase())
    .filter(Boolean);
  for (const role of requiredForRoles) {
    if (!roles.includes(role)) r.problem(`REQUIRE_MFA_FOR_ROLES: unknown role "${role}" (roles: ${roles.join(', ')})`);
  }
  const fromEnv = r.env.ENCRYPTION_KEY?.trim();
  const pending = !fromEnv && !production;
  return {
    mfa: {
      encryptionKey,
      previousEncryptionKey,
      keySource: fromEnv ? 'env' : pending ? 'pending' : 'none',
      keyFile: pending ? join(dataDir, DEVELOPMENT_KEY_FILE) : undefined,
      requiredForRoles,
    },
  };
}
