import type { Role } from '../users/role';

/** The claims of a verified access token. `role` is informational: authorization reads the database. */
export interface AccessClaims {
  sub: string;
  /** The session this token belongs to. */
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  role: Role;
  /** RFC 8176 authentication methods of the session's last sign-in or reauthentication. */
  amr: readonly string[];
  /** Authenticator assurance level (NIST SP 800-63B): 2 after a second factor, else 1. `acr` says the same as "1" or "2". */
  aal: AssuranceLevel;
  /** When the user last proved who they are (seconds, OpenID Connect `auth_time`). */
  auth_time: number;
}

export type AssuranceLevel = 1 | 2;

/** What a session's tokens say about how the user authenticated. */
export interface Assurance {
  amr: readonly string[];
  authTime: Date;
}

// RFC 8176 "mfa": more than one factor was used. It comes with the factors' own values ("otp").
export const MULTI_FACTOR = 'mfa';

/** The level the methods prove: 2 when a second factor was used. */
export const assuranceLevel = (amr: readonly string[]): AssuranceLevel => (amr.includes(MULTI_FACTOR) ? 2 : 1);
