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
  // Account recovery by email (src/recovery/). The mutations that send a link are also limited per address
  // (MAIL_LIMITS); the ones that take a link token are auth fields: aliases would multiply token guesses.
  {
    name: 'requestEmailVerification',
    limitVariable: 'RATE_LIMIT_VERIFICATION_REQUEST_IP',
    defaultLimit: '20/1h',
    store: 'ip-verify-req',
    authField: false,
  },
  {
    name: 'resendVerificationEmail',
    limitVariable: 'RATE_LIMIT_VERIFICATION_RESEND_IP',
    defaultLimit: '20/1h',
    store: 'ip-verify-resend',
    authField: false,
  },
  { name: 'verifyEmail', limitVariable: 'RATE_LIMIT_VERIFY_EMAIL_IP', defaultLimit: '30/1h', store: 'ip-verify', authField: true },
  {
    name: 'requestPasswordReset',
    limitVariable: 'RATE_LIMIT_PASSWORD_RESET_REQUEST_IP',
    defaultLimit: '20/1h',
    store: 'ip-reset-req',
    authField: false,
  },
  { name: 'resetPassword', limitVariable: 'RATE_LIMIT_PASSWORD_RESET_IP', defaultLimit: '30/1h', store: 'ip-reset', authField: true },
  { name: 'requestEmailChange', limitVariable: 'RATE_LIMIT_EMAIL_CHANGE_REQUEST_IP', defaultLimit: '20/1h', store: 'ip-email-req', authField: false },
  {
    name: 'confirmEmailChange',
    limitVariable: 'RATE_LIMIT_EMAIL_CHANGE_CONFIRM_IP',
    defaultLimit: '30/1h',
    store: 'ip-email-confirm',
    authField: true,
  },
  // The second factor (src/mfa/): each code is also counted per account (ACCOUNT_LIMITS) and per challenge.
  { name: 'verifyMfa', limitVariable: 'RATE_LIMIT_VERIFY_MFA_IP', defaultLimit: '30/1m', store: 'ip-mfa', authField: true },
  { name: 'reauthenticate', limitVariable: 'RATE_LIMIT_REAUTHENTICATE_IP', defaultLimit: '30/1h', store: 'ip-reauth', authField: true },
  // Passkeys (src/passkeys/): a sign-in is also counted per account once its passkey names one.
  {
    name: 'passkeyLoginOptions',
    limitVariable: 'RATE_LIMIT_PASSKEY_OPTIONS_IP',
    defaultLimit: '60/1m',
    store: 'ip-passkey-opt',
    authField: false,
  },
  { name: 'loginWithPasskey', limitVariable: 'RATE_LIMIT_PASSKEY_LOGIN_IP', defaultLimit: '30/1m', store: 'ip-passkey', authField: true },
] as const satisfies readonly AuthOperationSpec[];

export type AuthOperation = (typeof AUTH_OPERATIONS)[number]['name'];

/** The key of an operation's per-IP limit in Config.rateLimits, e.g. loginPerIp. */
export const perIpLimitKey = <Name extends AuthOperation>(name: Name): `${Name}PerIp` => `${name}PerIp`;

/** Password (and second-factor code) attempts per account, counted by every operation that checks one. */
export const ACCOUNT_LIMITS = [
  /** Failed passwords per account: the slow-down step. */
  { name: 'accountFailuresShort', limitVariable: 'RATE_LIMIT_ACCOUNT_FAILURES', defaultLimit: '5/1m', store: 'acct' },
  /** Failed passwords per account from one client IP: the temporary block. */
  { name: 'accountFailuresLong', limitVariable: 'RATE_LIMIT_ACCOUNT_LOCKOUT', defaultLimit: '20/1h', store: 'acct-ip' },
] as const satisfies readonly Omit<AuthOperationSpec, 'authField'>[];

export type AccountLimit = (typeof ACCOUNT_LIMITS)[number]['name'];

/**
 * Mails with a link per target address, whatever asked for them (requestPasswordReset,
 * resendVerificationEmail, requestEmailVerification, requestEmailChange share one count per address),
 * counted for addresses with no account too, so the limit answers alike whether or not one exists.
 */
export const MAIL_LIMITS = [
  { name: 'mailPerAddress', limitVariable: 'RATE_LIMIT_MAIL_ADDRESS', defaultLimit: '3/1h', store: 'mail-addr' },
] as const satisfies readonly Omit<AuthOperationSpec, 'authField'>[];

export type MailLimit = (typeof MAIL_LIMITS)[number]['name'];

/** Every rate-limit variable, in the order the configuration reads them. */
export const RATE_LIMIT_SETTINGS = [...AUTH_OPERATIONS, ...ACCOUNT_LIMITS, ...MAIL_LIMITS];
