import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { rawQuery, Sql } from '../db/raw-sql';
import { AMR } from '../auth/sign-in.service';
import { MfaMethod } from '../auth/login-result';
import { NO_PASSKEYS, type PasskeyFactor } from './passkey-factor';
import type { SecretCipher } from './secret-cipher';
import { RecoveryCode } from './recovery-code.entity';
import { hashRecoveryCode, newRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes';
import { TotpFactor } from './totp-factor.entity';
import { matchTotp } from './totp';

const ANY_CONFIRMED = new Sql('select exists (select 1 from totp_factors where user_id = $1::uuid and confirmed_at is not null) as enrolled');

/** A second factor that was proven and spent: how (RFC 8176) and, for a recovery code, how many remain. */
export interface ProvenFactor {
  amr: readonly string[];
  method: MfaMethod;
  recoveryCodesRemaining?: number;
}

// Longer than any code we accept: refused before any work.
export const MAX_CODE_LENGTH = 64;
/** A passkey assertion (JSON) is longer: a few hundred bytes, a few kilobytes with extensions. */
export const MAX_ASSERTION_LENGTH = 16 * 1024;
export const maxCodeLength = (method: MfaMethod): number => (method === MfaMethod.PASSKEY ? MAX_ASSERTION_LENGTH : MAX_CODE_LENGTH);

/**
 * Checks and spends second-factor codes, and keeps the factor rows (the TOTP secret, sealed; the recovery
 * codes, hashed). Every method runs in the caller's transaction.
 */
export class Factors {
  /** The time TOTP codes are checked against: the process clock (tests move it to step through the 30-second windows). */
  clock: () => number = () => Date.now();

  constructor(
    private readonly cipher: () => SecretCipher,
    readonly passkeys: PasskeyFactor = NO_PASSKEYS,
  ) {}

  /** The confirmed TOTP factor, if any. */
  confirmed(em: EntityManager, userId: string, lock = false): Promise<TotpFactor | null> {
    return em.findOne(TotpFactor, { user: userId, confirmedAt: { $ne: null } }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true } : {});
  }

  /** Whether the user has a confirmed TOTP factor: one plain statement, for login's hot path. */
  async anyConfirmed(em: EntityManager, userId: string): Promise<boolean> {
    const { rows } = await rawQuery<{ enrolled: boolean }>(em, ANY_CONFIRMED, [userId]);
    return rows[0].enrolled;
  }

  /** The secret of a factor; a secret sealed with ENCRYPTION_KEY_PREVIOUS is sealed again with the current key. */
  secretOf(factor: TotpFactor, userId: string): string {
    const opened = this.cipher().open(userId, factor.secretSealed);
    // Another key, or a row that was changed: nothing we can check a code against.
    if (!opened) throw new Error('the TOTP secret cannot be decrypted with ENCRYPTION_KEY or ENCRYPTION_KEY_PREVIOUS');
    if (opened.stale) factor.secretSealed = this.cipher().seal(userId, opened.plain);
    return opened.plain;
  }

  seal(userId: string, secret: string): string {
    return this.cipher().seal(userId, secret);
  }

  /**
   * Proves `code` for `method` and spends it, under a lock on what it spends: a TOTP code's step becomes
   * the last used one (a code is accepted once, its step and earlier ones are refused after it), a recovery
   * code is marked used. Undefined when the code is wrong, reused, or the account lacks the method.
   */
  async prove(tx: EntityManager, userId: string, method: MfaMethod, code: string, now = this.clock()): Promise<ProvenFactor | undefined> {
    if (method === MfaMethod.PASSKEY) {
      const amr = await this.passkeys.prove(tx, userId, code);
      return amr ? { amr, method } : undefined;
    }
    if (method === MfaMethod.TOTP) {
      const factor = await this.confirmed(tx, userId, true);
      if (!factor) return undefined;
      const step = matchTotp(this.secretOf(factor, userId), code.replace(/\s/g, ''), now);
      if (step === undefined || (factor.lastUsedStep !== null && step <= Number(factor.lastUsedStep))) return undefined;
      factor.lastUsedStep = String(step);
      await tx.flush();
      return { amr: AMR.PASSWORD_AND_TOTP, method };
    }
    const found = await tx.findOne(
      RecoveryCode,
      { user: userId, codeHash: hashRecoveryCode(code), usedAt: null },
      { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
    );
    if (!found) return undefined;
    found.usedAt = new Date(now);
    await tx.flush();
    return { amr: AMR.PASSWORD_AND_RECOVERY_CODE, method, recoveryCodesRemaining: await this.remaining(tx, userId) };
  }

  remaining(em: EntityManager, userId: string): Promise<number> {
    return em.count(RecoveryCode, { user: userId, usedAt: null });
  }

  /** Replaces the user's recovery codes with new ones; returns their text (never stored). */
  async replaceRecoveryCodes(tx: EntityManager, userId: string): Promise<string[]> {
    await tx.nativeDelete(RecoveryCode, { user: userId });
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    for (const code of codes) tx.create(RecoveryCode, { user: userId, codeHash: hashRecoveryCode(code) });
    await tx.flush();
    return codes;
  }

  /** Removes every factor of the user (disable, admin reset). True when there was a confirmed one. */
  async removeAll(tx: EntityManager, userId: string): Promise<boolean> {
    const removed = await tx.nativeDelete(TotpFactor, { user: userId, confirmedAt: { $ne: null } });
    await tx.nativeDelete(TotpFactor, { user: userId });
    await tx.nativeDelete(RecoveryCode, { user: userId });
    return removed > 0;
  }
}
