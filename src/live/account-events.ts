import { registerEnumType } from 'type-graphql';
import { SecurityEventType } from '../events/security-event-type';

/**
 * What `sessionEvents` tells a signed-in user about their own account. Extend the list, then the map
 * below; the GraphQL enum follows the list.
 */
export const ACCOUNT_EVENTS = [
  'SESSION_REVOKED',
  'SIGNED_IN',
  'PASSWORD_CHANGED',
  'ROLE_CHANGED',
  'EMAIL_CHANGED',
  'PASSWORD_RESET',
  'MFA_CHANGED',
] as const;

export type AccountEventType = (typeof ACCOUNT_EVENTS)[number];
export const AccountEventType = Object.fromEntries(ACCOUNT_EVENTS.map((type) => [type, type])) as { readonly [T in AccountEventType]: T };

registerEnumType(AccountEventType, {
  name: 'AccountEventType',
  description: "What sessionEvents reports. SESSION_REVOKED comes once per ended session, with `current` when it is the socket's own.",
});

/**
 * The one place where security events become account events. SESSION_REVOKED is not among them: it is
 * read from the sessions themselves (one per ended session, whatever ended it: a logout, a password
 * change or reset, a disabled account, the session's end), see live-feed.ts. Any other security event
 * (failed logins, token reuse, mail failures) is for admins' securityEvents, not for the account's sockets.
 */
export const ACCOUNT_EVENT_OF: Partial<Record<SecurityEventType, AccountEventType>> = {
  [SecurityEventType.LOGIN_SUCCEEDED]: 'SIGNED_IN',
  [SecurityEventType.PASSWORD_CHANGED]: 'PASSWORD_CHANGED',
  [SecurityEventType.ROLE_CHANGED]: 'ROLE_CHANGED',
  [SecurityEventType.EMAIL_CHANGED]: 'EMAIL_CHANGED',
  [SecurityEventType.PASSWORD_RESET]: 'PASSWORD_RESET',
  // The second factor: enrolled, disabled, reset by an admin, one recovery code fewer, a passkey added or removed.
  [SecurityEventType.MFA_ENROLLED]: 'MFA_CHANGED',
  [SecurityEventType.PASSKEY_ADDED]: 'MFA_CHANGED',
  [SecurityEventType.PASSKEY_REMOVED]: 'MFA_CHANGED',
  [SecurityEventType.MFA_DISABLED]: 'MFA_CHANGED',
  [SecurityEventType.MFA_RESET_BY_ADMIN]: 'MFA_CHANGED',
  [SecurityEventType.RECOVERY_CODE_USED]: 'MFA_CHANGED',
};
