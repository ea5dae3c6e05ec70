import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * What the second factor asks of passkeys (src/passkeys/ implements it; wired in src/services.ts, so mfa/
 * does not import passkeys/): an MfaChallenge for an account with passkeys carries request options, and
 * verifyMfa with method PASSKEY proves the assertion sent as its code.
 */
export interface PasskeyFactor {
  /** PublicKeyCredentialRequestOptionsJSON for the user's passkeys (a challenge bound to them), or undefined without any. */
  options(em: EntityManager, userId: string): Promise<unknown>;
  /**
   * Checks the assertion (JSON text) against a challenge of `options` and spends it, in the caller's
   * transaction: the methods it proved after a password, or undefined when it proves nothing. Throws
   * PasskeyCloneSuspected when the signature counter went backwards.
   */
  prove(tx: EntityManager, userId: string, assertion: string): Promise<readonly string[] | undefined>;
}

/** The counter of a passkey did not move forward: refused like a wrong code, and recorded once the transaction rolled back. */
export class PasskeyCloneSuspected extends Error {
  constructor(readonly details: Record<string, unknown>) {
    super('passkey clone suspected');
  }
}

export const NO_PASSKEYS: PasskeyFactor = {
  options: async () => undefined,
  prove: async () => undefined,
};
