import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../common/request-meta';
import type { User } from '../users/user.entity';
import type { MfaChallenge } from './login-result';

/**
 * What sign-in asks of the second factor, as hooks auth/ calls and src/mfa/ implements (wired in
 * src/services.ts; auth/ does not import mfa/), the way AccountNotifier is for mail.
 */
export interface SecondFactor {
  /** Whether the user has a confirmed second factor: login then answers a challenge, and step-up wants aal 2. */
  enrolled(em: EntityManager, userId: string): Promise<boolean>;
  /** A challenge for a user whose password was right (no session exists yet). */
  challenge(em: EntityManager, user: User, client: ClientInfo): Promise<MfaChallenge>;
}

/** No second factor anywhere: the default where mfa/ is not wired (tests of auth alone, the CLI). */
export const NO_SECOND_FACTOR: SecondFactor = {
  enrolled: async () => false,
  challenge: async () => {
    throw new Error('no second factor is wired');
  },
};
