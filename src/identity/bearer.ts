import { AuthReason } from '../errors/codes';

export type Credential = { token: string } | { reason: typeof AuthReason.TOKEN_MISSING | typeof AuthReason.TOKEN_INVALID };

// RFC 6750 2.1 b64token; the scheme name is case-insensitive (RFC 7235 2.1).
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Reads the Authorization header once per request. Only the Bearer scheme is accepted. */
export function parseAuthorization(header: string | undefined): Credential {
  if (header === undefined || header.trim() === '') return { reason: AuthReason.TOKEN_MISSING };
  const match = BEARER.exec(header);
  return match ? { token: match[1] } : { reason: AuthReason.TOKEN_INVALID };
}
