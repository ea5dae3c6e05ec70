import type { Config } from '../config';

const MASK = '********';
// Keys whose values are secrets wherever they appear in the configuration.
const SECRET_KEYS = new Set(['secret', 'privateKey', 'token', 'password']);

/** The configuration as the server sees it, with every secret and URL password masked. */
export function maskedConfig(config: Config): unknown {
  return mask(config);
}

function mask(value: unknown, key?: string): unknown {
  if (value === undefined || value === null) return value ?? null;
  if (key && SECRET_KEYS.has(key)) return MASK;
  if (typeof value === 'string' && /^[a-z]+:\/\/[^/]*@/i.test(value)) return maskUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => mask(item));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k)]));
  return value;
}

function maskUrlPassword(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = MASK;
    return url.toString();
  } catch {
    return MASK;
  }
}
