import { registerEnumType } from 'type-graphql';

export enum SecurityEventType {
  LOGIN_SUCCEEDED = 'LOGIN_SUCCEEDED',
  LOGIN_FAILED = 'LOGIN_FAILED',
  /** A revoked access token (logged out, or of a revoked session) was presented. */
  REVOKED_TOKEN_REUSE = 'REVOKED_TOKEN_REUSE',
  /** A rotated refresh token was presented after the grace window: the session was revoked. */
  REFRESH_TOKEN_REUSE = 'REFRESH_TOKEN_REUSE',
  PASSWORD_CHANGED = 'PASSWORD_CHANGED',
  SESSION_REVOKED = 'SESSION_REVOKED',
  ROLE_CHANGED = 'ROLE_CHANGED',
  USER_DISABLED = 'USER_DISABLED',
  USER_ENABLED = 'USER_ENABLED',
  /** A mail (a link or a notice) could not be delivered and was given up: details say which template and why. */
  EMAIL_DELIVERY_FAILED = 'EMAIL_DELIVERY_FAILED',
  /** The account's address was proven by a verification link. */
  EMAIL_VERIFIED = 'EMAIL_VERIFIED',
  /** A reset link was asked for: userId when an account got it (every request is recorded); details.by when an admin sent it. */
  PASSWORD_RESET_REQUESTED = 'PASSWORD_RESET_REQUESTED',
  /** The password was set through a reset link: every session ended. */
  PASSWORD_RESET = 'PASSWORD_RESET',
  /** A confirmation link was sent to a new address. */
  EMAIL_CHANGE_REQUESTED = 'EMAIL_CHANGE_REQUESTED',
  /** The account's address changed (confirmed from the new address). */
  EMAIL_CHANGED = 'EMAIL_CHANGED',
  /** A TOTP factor was confirmed (details.method), or the recovery codes were made anew (details.recoveryCodesRegenerated). */
  MFA_ENROLLED = 'MFA_ENROLLED',
  /** The user turned the second factor off. */
  MFA_DISABLED = 'MFA_DISABLED',
  /** A wrong or replayed second-factor code (verifyMfa or reauthenticate): details say which method and attempt. */
  MFA_FAILED = 'MFA_FAILED',
  /** A sign-in challenge was presented after its 5 minutes. */
  MFA_CHALLENGE_EXPIRED = 'MFA_CHALLENGE_EXPIRED',
  /** A recovery code was spent: details.remaining says how many are left. */
  RECOVERY_CODE_USED = 'RECOVERY_CODE_USED',
  /** An admin removed the account's second factor (details.by: the admin's id). */
  MFA_RESET_BY_ADMIN = 'MFA_RESET_BY_ADMIN',
  /** Someone holding the password kept entering wrong codes (a challenge ended after its 5 wrong codes): an attack. */
  MFA_FAILURES_REPEATED = 'MFA_FAILURES_REPEATED',
  /** A passkey was registered (details: passkeyId, deviceType). */
  PASSKEY_ADDED = 'PASSKEY_ADDED',
  /** A passkey was removed by its owner (details.passkeyId). */
  PASSKEY_REMOVED = 'PASSKEY_REMOVED',
  /** A sign-in with a passkey (details: passkeyId, userVerified); LOGIN_SUCCEEDED is recorded with it. */
  PASSKEY_SIGN_IN = 'PASSKEY_SIGN_IN',
  /** An assertion's signature counter did not move forward: the key may have been copied. Refused. */
  PASSKEY_CLONE_SUSPECTED = 'PASSKEY_CLONE_SUSPECTED',
  /** The per-account login limit refused a login (the account slowed down, or blocked for this IP): someone keeps guessing. */
  ACCOUNT_LOCKED = 'ACCOUNT_LOCKED',
  /** An admin had a verification link mailed to the account's address (details.by). */
  EMAIL_VERIFICATION_REQUESTED = 'EMAIL_VERIFICATION_REQUESTED',
}

export enum Severity {
  INFO = 'INFO',
  WARNING = 'WARNING',
  HIGH = 'HIGH',
}

export const SEVERITY: Record<SecurityEventType, Severity> = {
  LOGIN_SUCCEEDED: Severity.INFO,
  LOGIN_FAILED: Severity.WARNING,
  REVOKED_TOKEN_REUSE: Severity.HIGH,
  REFRESH_TOKEN_REUSE: Severity.HIGH,
  PASSWORD_CHANGED: Severity.INFO,
  SESSION_REVOKED: Severity.INFO,
  ROLE_CHANGED: Severity.WARNING,
  USER_DISABLED: Severity.WARNING,
  USER_ENABLED: Severity.INFO,
  EMAIL_DELIVERY_FAILED: Severity.WARNING,
  EMAIL_VERIFIED: Severity.INFO,
  PASSWORD_RESET_REQUESTED: Severity.INFO,
  PASSWORD_RESET: Severity.WARNING,
  EMAIL_CHANGE_REQUESTED: Severity.INFO,
  EMAIL_CHANGED: Severity.WARNING,
  MFA_ENROLLED: Severity.INFO,
  MFA_DISABLED: Severity.WARNING,
  MFA_FAILED: Severity.WARNING,
  MFA_CHALLENGE_EXPIRED: Severity.INFO,
  RECOVERY_CODE_USED: Severity.WARNING,
  MFA_RESET_BY_ADMIN: Severity.WARNING,
  MFA_FAILURES_REPEATED: Severity.HIGH,
  PASSKEY_ADDED: Severity.WARNING,
  PASSKEY_REMOVED: Severity.WARNING,
  PASSKEY_SIGN_IN: Severity.INFO,
  PASSKEY_CLONE_SUSPECTED: Severity.HIGH,
  ACCOUNT_LOCKED: Severity.WARNING,
  EMAIL_VERIFICATION_REQUESTED: Severity.INFO,
};

/**
 * Failures a client causes (wrong passwords and codes, token reuse, lockouts): what securityEventStats
 * ranks client addresses by. The partial index security_events_failures_index (migration
 * Migration20261208090000) lists the same types: change both together, or the query stops using it.
 */
export const FAILURE_TYPES: readonly SecurityEventType[] = [
  SecurityEventType.LOGIN_FAILED,
  SecurityEventType.MFA_FAILED,
  SecurityEventType.MFA_FAILURES_REPEATED,
  SecurityEventType.REFRESH_TOKEN_REUSE,
  SecurityEventType.REVOKED_TOKEN_REUSE,
  SecurityEventType.PASSKEY_CLONE_SUSPECTED,
  SecurityEventType.ACCOUNT_LOCKED,
];

registerEnumType(SecurityEventType, { name: 'SecurityEventType' });
registerEnumType(Severity, { name: 'Severity', description: 'HIGH events are also alerted.' });
