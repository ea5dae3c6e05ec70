import type { EnvReader } from './env';

export interface SessionsConfig {
  readonly sessions: {
    /** A session whose refresh token is unused this long ends. */
    readonly idleTimeoutSeconds: number;
    /** A session ends this long after login, however active. */
    readonly absoluteLifetimeSeconds: number;
    /** A rotated refresh token presented again within this window gets the same new token. */
    readonly reuseGraceSeconds: number;
    /** Also send the refresh token in an HttpOnly cookie, and leave it out of response bodies. */
    readonly cookie: boolean;
    /** A sensitive change (step-up) needs an authentication this recent. */
    readonly reauthWindowSeconds: number;
  };
}

export function readSessions(r: EnvReader): SessionsConfig {
  return {
    sessions: {
      idleTimeoutSeconds: r.duration('SESSION_IDLE_TIMEOUT', '7d', 60, 365 * 86400),
      absoluteLifetimeSeconds: r.duration('SESSION_LIFETIME', '30d', 60, 365 * 86400),
      reuseGraceSeconds: r.duration('REFRESH_REUSE_GRACE', '10s', 0, 60),
      cookie: r.bool('REFRESH_TOKEN_COOKIE', false),
      reauthWindowSeconds: r.duration('REAUTH_WINDOW', '10m', 60, 86400),
    },
  };
}
