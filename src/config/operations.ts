// The authentication operations and the limits on them, each declared once. Everything else derives from
// these lists: the configuration (Config.rateLimits), the limiter's actions and stores
// (rate-limit.service.ts), the auth fields counted by AUTH_FIELDS_PER_OPERATION (graphql/auth-field-limit.ts),
// the test servers' overrides, and the check of README's Security table (tests/unit/operations.test.ts).
// A new operation is one entry here. This file imports nothing, so config/ may read it.

export interface AuthOperationSpec {
  /** The GraphQL field, and the limiter's action. */
  readonly name: string;
  /** Attempts per client IP: its variable and default ("points/duration"). */
  readonly limitVariable: string;
  readonly defaultLimit: string;
  /** The limiter's key prefix in PostgreSQL or Redis (kept stable: counters survive an upgrade). */
  readonly store: string;
  /** Counts toward AUTH_FIELDS_PER_OPERATION: a field an attacker would repeat under aliases to guess. */
  readonly authField: boolean;
}

export const AUTH_OPERATIONS = [
  { name: 'login', limitVariable: 'RATE_LIMIT_LOGIN_IP', defaultLimit: '30/1m', store: 'ip-login', authField: true },
  { name: 'register', limitVariable: 'RATE_LIMIT_REGISTER_IP', defaultLimit: '10/1h', store: 'ip-register', authField: true },
  { name: 'refresh', limitVariable: 'RATE_LIMIT_REFRESH_IP', defaultLimit: '120/1m', store: 'ip-refresh', authField: true },
  { name: 'changePassword', limitVariable: 'RATE_LIMIT_PASSWORD_CHANGE_IP', defaultLimit: '10/1h', store: 'ip-password', authField: true },
] as const satisfies readonly AuthOperationSpec[];

export type AuthOperation = (typeof AUTH_OPERATIONS)[number]['name'];

/** The key of an operation's per-IP limit in Config.rateLimits, e.g. loginPerIp. */
export const perIpLimitKey = <Name extends AuthOperation>(name: Name): `${Name}PerIp` => `${name}PerIp`;

/** Password attempts per account, counted by every operation that checks a password. */
export const ACCOUNT_LIMITS = [
  /** Failed passwords per account: the slow-down step. */
  { name: 'accountFailuresShort', limitVariable: 'RATE_LIMIT_ACCOUNT_FAILURES', defaultLimit: '5/1m', store: 'acct' },
  /** Failed passwords per account from one client IP: the temporary block. */
  { name: 'accountFailuresLong', limitVariable: 'RATE_LIMIT_ACCOUNT_LOCKOUT', defaultLimit: '20/1h', store: 'acct-ip' },
] as const satisfies readonly Omit<AuthOperationSpec, 'authField'>[];

export type AccountLimit = (typeof ACCOUNT_LIMITS)[number]['name'];

/** Every rate-limit variable, in the order the configuration reads them. */
export const RATE_LIMIT_SETTINGS = [...AUTH_OPERATIONS, ...ACCOUNT_LIMITS];
