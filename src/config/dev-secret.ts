import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, deepFreeze } from './env';
import { checkSecretStrength, type JwtConfig } from './jwt';
import { parseEncryptionKey, type MfaConfig } from './mfa';

/**
 * Start-up's half of JWT_SECRET, outside production: reads the secret kept in DATA_DIR (mode 0600), or
 * generates it there once, so tokens survive restarts; main.ts logs a warning when the secret is not
 * JWT_SECRET. Loading the configuration never does this (show-config and tests write nothing); the server
 * (main.ts, createGatehouse) and the CLI's database commands call it before anything signs. Returns the
 * configuration with the secret filled, or the same one when there was nothing to do; throws a
 * ConfigError when the file is readable by others or is not a strong key.
 */
export function ensureDevelopmentSecret<C extends JwtConfig>(config: C): C {
  const file = config.jwt.secretFile;
  if (config.jwt.secretSource !== 'pending' || file === undefined) return config;
  const { text: secret, source } = readOrGenerate(file, () => randomBytes(48).toString('base64url'));
  const problems: string[] = [];
  checkSecretStrength(secret, file, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze({ ...config, jwt: { ...config.jwt, secret, secretSource: source } });
}

/**
 * ENCRYPTION_KEY outside production, the same way (createGatehouse calls it; the CLI's database commands
 * need no key): kept in DATA_DIR (`encryption-key`, mode 0600) so the
 * second-factor secrets it encrypts survive restarts. Losing the file loses every enrolled factor (an
 * admin resets them: resetUserMfa); production sets ENCRYPTION_KEY.
 */
export function ensureDevelopmentEncryptionKey<C extends MfaConfig>(config: C): C {
  const file = config.mfa.keyFile;
  if (config.mfa.keySource !== 'pending' || file === undefined) return config;
  const { text, source } = readOrGenerate(file, () => randomBytes(32).toString('base64'));
  const key = parseEncryptionKey(text);
  if (!key) throw new ConfigError([`${file} must hold 32 bytes as base64 or hex`]);
  return deepFreeze({ ...config, mfa: { ...config.mfa, encryptionKey: key.toString('hex'), keySource: source } });
}

/** Reads a private key file, or writes it once with `generate()`'s text; refuses a file others can read. */
function readOrGenerate(file: string, generate: () => string): { text: string; source: 'generated' | 'file' } {
  let source: 'generated' | 'file' = 'file';
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Written whole to a private temporary file, then linked into place: a process starting at the same
    // moment sees either no file or the complete one, and the first link wins.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${generate()}\n`, { mode: 0o600 });
    try {
      linkSync(temporary, file);
      source = 'generated';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
  }
  if ((statSync(file).mode & 0o077) !== 0) throw new ConfigError([`${file} must be readable by its owner only (chmod 600 ${file})`]);
  return { text: readFileSync(file, 'utf8').trim(), source };
}
