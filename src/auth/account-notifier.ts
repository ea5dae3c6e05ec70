import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../common/request-meta';
import type { Session } from '../sessions/session.entity';
import type { User } from '../users/user.entity';
import { NO_SECOND_FACTOR, type SecondFactor } from './second-factor';

/**
 * What the sign-in code tells the account's owner by mail, as hooks auth/ calls and src/recovery/
 * implements (wired in src/services.ts; auth/ does not import recovery/). Each queues its mail in the
 * caller's transaction, so the mail is written with the change or not at all; `committed` follows the
 * commit and lets it go at once.
 */
export interface AccountNotifier {
  /** REQUIRE_VERIFIED_EMAIL: the verification link for a new account, in the transaction that creates it. */
  accountCreated(tx: EntityManager, user: User): Promise<void>;
  /** The "your password was changed" notice; the account's pending links stop working. */
  passwordChanged(tx: EntityManager, user: User, client: ClientInfo): Promise<void>;
  /**
   * Whether signedIn may queue anything (NOTIFY_NEW_SIGN_IN with mail): when it cannot, a login opens its
   * session without an ORM transaction around it (SessionService.startIfUnchanged).
   */
  readonly notifiesSignIn: boolean;
  /** NOTIFY_NEW_SIGN_IN: the notice, when `session` comes from a device the account has not used before. */
  signedIn(tx: EntityManager, user: User, session: Session, client: ClientInfo): Promise<void>;
  /** After the commit of a transaction that queued mail. Never throws. */
  committed(): void;
}

/** Tells nobody anything: the default where no mail is wired (tests of auth alone, the CLI). */
export const NO_NOTIFIER: AccountNotifier = {
  accountCreated: async () => undefined,
  passwordChanged: async () => undefined,
  notifiesSignIn: false,
  signedIn: async () => undefined,
  committed: () => undefined,
};

/** How sign-in treats accounts, beyond the password (src/config/recovery.ts, src/config/sessions.ts). */
export interface AccountOptions {
  /** REQUIRE_VERIFIED_EMAIL: no session for an account whose address is not verified. */
  readonly requireVerifiedEmail: boolean;
  /** REAUTH_WINDOW: a sensitive change needs an access token whose auth_time is this recent. */
  readonly reauthWindowSeconds: number;
  readonly notifier: AccountNotifier;
  /** The second factor (src/mfa/): login answers its challenge, step-up asks its level. */
  readonly secondFactor: SecondFactor;
  /** REQUIRE_MFA_FOR_ROLES. */
  readonly mfaRequiredForRoles: readonly string[];
}

export const DEFAULT_ACCOUNT_OPTIONS: AccountOptions = {
  requireVerifiedEmail: false,
  reauthWindowSeconds: 600,
  notifier: NO_NOTIFIER,
  secondFactor: NO_SECOND_FACTOR,
  mfaRequiredForRoles: [],
};
