import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, URI, type TOTP } from 'otpauth';
import { ConfigError, ensureDevelopmentEncryptionKey, loadConfig } from '../../src/config';
import { KNOWN_ROLES, parseEncryptionKey } from '../../src/config/mfa';
import { SecretCipher } from '../../src/mfa/secret-cipher';
import { hashRecoveryCode, newRecoveryCode, normalizeRecoveryCode } from '../../src/mfa/recovery-codes';
import { matchTotp, newTotpSecret, totpCode, totpStep, totpUri } from '../../src/mfa/totp';
import { Role } from '../../src/users/role';
import { TokenService } from '../../src/tokens/token.service';

const JWT_SECRET = 'Zq8vJ2mX4pLr7tYw1nB5cK9dF3gH6sA0';
const key = () => randomBytes(32).toString('hex');

describe('SecretCipher (AES-256-GCM)', () => {
  it('seals with a fresh IV each time and opens only for the same owner', () => {
    const cipher = new SecretCipher(key());
    const a = cipher.seal('user-1', 'JBSWY3DPEHPK3PXP');
    const b = cipher.seal('user-1', 'JBSWY3DPEHPK3PXP');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+$/);
    expect(cipher.open('user-1', a)).toEqual({ plain: 'JBSWY3DPEHPK3PXP', stale: false });
    // Moved onto another account's row: the associated data differs.
    expect(cipher.open('user-2', a)).toBeUndefined();
  });

  it('refuses a tampered, truncated or foreign ciphertext', () => {
    const cipher = new SecretCipher(key());
    const sealed = cipher.seal('u', 'secret');
    const [v, id, body] = sealed.split('.');
    const bytes = Buffer.from(body, 'base64url');
    bytes[bytes.length - 20] ^= 1;
    expect(cipher.open('u', `${v}.${id}.${bytes.toString('base64url')}`)).toBeUndefined();
    expect(cipher.open('u', `${v}.${id}.${body.slice(0, 10)}`)).toBeUndefined();
    expect(cipher.open('u', `v2.${id}.${body}`)).toBeUndefined();
    expect(cipher.open('u', 'garbage')).toBeUndefined();
    expect(new SecretCipher(key()).open('u', sealed)).toBeUndefined();
  });

  it('rotation: the previous key still opens (marked stale), and what the new key seals the old one cannot open', () => {
    const [oldKey, newKey] = [key(), key()];
    const sealedOld = new SecretCipher(oldKey).seal('u', 'secret');
    const rotating = new SecretCipher(newKey, oldKey);
    expect(rotating.open('u', sealedOld)).toEqual({ plain: 'secret', stale: true });
    const resealed = rotating.seal('u', 'secret');
    expect(rotating.open('u', resealed)).toEqual({ plain: 'secret', stale: false });
    expect(new SecretCipher(oldKey).open('u', resealed)).toBeUndefined();
    expect(new SecretCipher(newKey).open('u', sealedOld)).toBeUndefined();
  });
});

describe('TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step)', () => {
  it('matches the RFC 6238 test vector for SHA-1 (its last 6 digits)', () => {
    // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s -> 94287082.
    const secret = new Secret({ buffer: new Uint8Array(Buffer.from('12345678901234567890')).buffer }).base32;
    expect(totpCode(secret, 59_000)).toBe('287082');
    expect(totpCode(secret, 1111111109_000)).toBe('081804');
  });

  it('accepts the previous, current and next step and says which; nothing further or malformed', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const now = 1_700_000_000_000;
    const step = totpStep(now);
    for (const offset of [-1, 0, 1]) expect(matchTotp(secret, totpCode(secret, now + offset * 30_000), now)).toBe(step + offset);
    for (const offset of [-2, 2]) expect(matchTotp(secret, totpCode(secret, now + offset * 30_000), now)).toBeUndefined();
    expect(matchTotp(secret, '12345', now)).toBeUndefined();
    expect(matchTotp(secret, '1234567', now)).toBeUndefined();
    expect(matchTotp(secret, 'abcdef', now)).toBeUndefined();
  });

  it('writes the otpauth URI apps scan', () => {
    const secret = newTotpSecret();
    const uri = totpUri(secret, 'Gatehouse', 'ada@example.com');
    const parsed = new URL(uri);
    expect((URI.parse(uri) as TOTP).secret.base32).toBe(secret);
    expect(parsed.protocol).toBe('otpauth:');
    expect(Object.fromEntries(parsed.searchParams)).toEqual({ issuer: 'Gatehouse', secret, algorithm: 'SHA1', digits: '6', period: '30' });
  });
});

describe('recovery codes', () => {
  it('are 10 characters of an unambiguous alphabet, unique, and hash the same however typed', () => {
    const codes = Array.from({ length: 1000 }, newRecoveryCode);
    expect(new Set(codes).size).toBe(1000);
    for (const code of codes) expect(code).toMatch(/^[ACDEFGHJKMNPQRTUVWXY34679]{5}-[ACDEFGHJKMNPQRTUVWXY34679]{5}$/);
    const [code] = codes;
    expect(normalizeRecoveryCode(` ${code.toLowerCase()} `)).toBe(code.replace('-', ''));
    expect(hashRecoveryCode(code.toLowerCase().replace('-', ' '))).toBe(hashRecoveryCode(code));
    expect(hashRecoveryCode(code)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('ENCRYPTION_KEY and REQUIRE_MFA_FOR_ROLES', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ JWT_SECRET, ...env });
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('takes 32 bytes as base64, base64url or hex, and nothing else', () => {
    const bytes = randomBytes(32);
    for (const text of [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')])
      expect(parseEncryptionKey(text)).toEqual(bytes);
    expect(parseEncryptionKey(randomBytes(16).toString('base64'))).toBeUndefined();
    expect(parseEncryptionKey('correct horse battery staple')).toBeUndefined();
    expect(problems({ ENCRYPTION_KEY: 'short' })).toEqual([expect.stringMatching(/ENCRYPTION_KEY must be 32 random bytes/)]);
    expect(problems({ ENCRYPTION_KEY_PREVIOUS: bytes.toString('base64') })).toEqual([expect.stringMatching(/needs ENCRYPTION_KEY/)]);
    expect(loadConfig({ JWT_SECRET, ENCRYPTION_KEY: bytes.toString('base64') }).mfa).toMatchObject({
      encryptionKey: bytes.toString('hex'),
      keySource: 'env',
    });
  });

  it('is not required in production, where without it no factor can be enrolled', () => {
    const config = loadConfig({ JWT_SECRET, NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/gatehouse', APP_URL: 'https://app.example' });
    expect(config.mfa).toMatchObject({ encryptionKey: undefined, keySource: 'none', keyFile: undefined });
  });

  it('generates the development key once at start-up, private in DATA_DIR, and reuses it; loading writes nothing', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'gh-mfa-')), 'data');
    const loaded = loadConfig({ JWT_SECRET, DATA_DIR: dataDir });
    expect(loaded.mfa).toMatchObject({ keySource: 'pending', encryptionKey: undefined });
    expect(existsSync(dataDir)).toBe(false);
    const first = ensureDevelopmentEncryptionKey(loaded);
    const file = join(dataDir, 'encryption-key');
    expect(first.mfa).toMatchObject({ keySource: 'generated', encryptionKey: parseEncryptionKey(readFileSync(file, 'utf8'))!.toString('hex') });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureDevelopmentEncryptionKey(loadConfig({ JWT_SECRET, DATA_DIR: dataDir })).mfa).toMatchObject({
      keySource: 'file',
      encryptionKey: first.mfa.encryptionKey,
    });
  });

  it('knows the roles, and names an unknown one', () => {
    expect([...KNOWN_ROLES].sort()).toEqual(Object.values(Role).sort());
    expect(loadConfig({ JWT_SECRET, REQUIRE_MFA_FOR_ROLES: 'admin, ' }).mfa.requiredForRoles).toEqual(['ADMIN']);
    expect(problems({ REQUIRE_MFA_FOR_ROLES: 'ADMIN,OWNER' })).toEqual([expect.stringMatching(/unknown role "OWNER"/)]);
  });
});

describe('assurance claims', () => {
  const tokens = new TokenService(loadConfig({ JWT_SECRET }).jwt);
  const user = { id: randomUUID(), role: Role.USER };
  const resign = (token: string, change: (payload: Record<string, unknown>) => void) => {
    const payload = jwt.decode(token) as Record<string, unknown>;
    change(payload);
    return jwt.sign(payload, tokens.keys.signing.key, { algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt', kid: tokens.keys.signing.kid } });
  };
  const invalid = expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' } });

  it('issues amr, aal, acr and auth_time from the session, and reads them back', () => {
    const authTime = new Date(Date.now() - 60_000);
    const { token, claims } = tokens.issue(user, randomUUID(), Date.now(), { amr: ['pwd', 'otp', 'mfa'], authTime });
    expect(jwt.decode(token)).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], aal: 2, acr: '2', auth_time: Math.floor(authTime.getTime() / 1000) });
    expect(tokens.verify(token)).toEqual(claims);
    expect(tokens.issue(user, randomUUID()).claims).toMatchObject({ amr: ['pwd'], aal: 1 });
  });

  it('refuses an aal that its amr does not prove, or malformed amr', () => {
    const { token } = tokens.issue(user, randomUUID());
    expect(() => tokens.verify(resign(token, (p) => (p.aal = 2)))).toThrow(invalid);
    expect(() => tokens.verify(resign(token, (p) => (p.amr = 'pwd otp mfa')))).toThrow(invalid);
    expect(() => tokens.verify(resign(token, (p) => (p.auth_time = 'yesterday')))).toThrow(invalid);
  });

  it('reads a token from before the assurance claims as a password sign-in at an unknown time (no step-up)', () => {
    const { token } = tokens.issue(user, randomUUID());
    const old = resign(token, (p) => {
      delete p.amr;
      delete p.aal;
      delete p.acr;
      delete p.auth_time;
    });
    expect(tokens.verify(old)).toMatchObject({ amr: ['pwd'], aal: 1, auth_time: 0 });
  });
});
