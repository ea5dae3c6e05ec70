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
}
