import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import { AuthReason } from '../errors/codes';
import { linkTokenRefused } from '../errors/errors';
import { User } from '../users/user.entity';
import { EmailToken, LinkPurpose } from './email-token.entity';
import { hashLinkToken, isLinkTokenFormat, LINK_PATHS, newLinkToken } from './link-token';

/** A link ready to mail: its URL, how long it works, when it stops. */
export interface IssuedLink {
  url: string;
  validMinutes: number;
  expiresAt: Date;
}

export interface LinkRequest {
  /** The account, or null when there is none (or it gets no mail): the same statements run, writing nothing. */
  userId: string | null;
  purpose: LinkPurpose;
  /** The address the link goes to for verify and reset; for a change, the account's current address. */
  email: string;
  newEmail?: string;
}

// No account has it: the statements below match no row with it.
const NOBODY = '00000000-0000-0000-0000-000000000000';

// Both statements run for an account and for no account alike (same text, same round trips); with no
// account they match and insert nothing, so the timing of a request says nothing about whether the
// address has one.
const SUPERSEDE_SQL = `update email_tokens set used_at = ? where user_id = ? and purpose = ? and used_at is null`;
const INSERT_SQL = `insert into email_tokens (id, user_id, purpose, token_hash, email, new_email, created_at, expires_at)
select ?::uuid, ?::uuid, ?, ?, ?, ?, ?, ? where ?::boolean`;

/** A claimed link: the token row and its user, both locked until the caller's transaction ends. */
export interface ClaimedLink {
  token: EmailToken;
  user: User;
}

/**
 * One-time link tokens: issued into the caller's transaction (a newer one of a purpose supersedes the
 * older), and claimed under row locks, so two concurrent uses of one token take turns and exactly one
 * succeeds.
 */
export class LinkTokenService {
  constructor(private readonly config: Config['recovery']) {}

  ttlSeconds(purpose: LinkPurpose): number {
    switch (purpose) {
      case LinkPurpose.VERIFY_EMAIL:
        return this.config.verificationTtlSeconds;
      case LinkPurpose.RESET_PASSWORD:
        return this.config.resetTtlSeconds;
      case LinkPurpose.CHANGE_EMAIL:
        return this.config.emailChangeTtlSeconds;
    }
  }

  /** Supersedes the account's older links of the purpose and stores the new one's hash, in `tx`. */
  async issue(tx: EntityManager, request: LinkRequest): Promise<IssuedLink> {
    const token = newLinkToken();
    const now = new Date();
    const ttl = this.ttlSeconds(request.purpose);
    const expiresAt = new Date(now.getTime() + ttl * 1000);
    const userId = request.userId ?? NOBODY;
    await tx.execute(SUPERSEDE_SQL, [now, userId, request.purpose]);
    await tx.execute(INSERT_SQL, [
      randomUUID(),
      userId,
      request.purpose,
      hashLinkToken(token),
      request.email,
      request.newEmail ?? null,
      now,
      expiresAt,
      request.userId !== null,
    ]);
    return { url: this.url(request.purpose, token), validMinutes: Math.round(ttl / 60), expiresAt };
  }

  /**
   * The token's row and its user, checked and locked for the rest of `tx` (the user first, then the token:
   * the order every writer of both takes), or the link error. The caller marks it used (`usedAt`).
   */
  async claim(tx: EntityManager, text: string, purpose: LinkPurpose): Promise<ClaimedLink> {
    const found = await this.peek(tx, text, purpose);
    const user = await tx.findOneOrFail(User, found.user.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    const token = await tx.findOneOrFail(EmailToken, found.token.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    check(token, user, purpose);
    return { token, user };
  }

  /** The token and its user as they are now, checked, without locks (to check a new password against its email first). */
  async peek(em: EntityManager, text: string, purpose: LinkPurpose): Promise<ClaimedLink> {
    if (!isLinkTokenFormat(text)) throw linkTokenRefused(AuthReason.TOKEN_INVALID);
    const token = await em.findOne(EmailToken, { tokenHash: hashLinkToken(text) }, { populate: ['user'], refresh: true });
    if (!token) throw linkTokenRefused(AuthReason.TOKEN_INVALID);
    check(token, token.user, purpose);
    return { token, user: token.user };
  }

  /** Ends every outstanding link of the user (all purposes), e.g. once the password or the address changed. */
  async invalidateAll(tx: EntityManager, userId: string): Promise<void> {
    await tx.nativeUpdate(EmailToken, { user: userId, usedAt: null }, { usedAt: new Date() });
  }

  private url(purpose: LinkPurpose, token: string): string {
    // Mail is disabled when APP_URL is unset (production without SMTP_URL): no request gets this far.
    if (!this.config.appUrl) throw new Error('APP_URL is not configured');
    return `${this.config.appUrl}${LINK_PATHS[purpose]}#token=${token}`;
  }
}

/**
 * Used, superseded, of another purpose, of a disabled account, or sent to an address the account no
 * longer has: invalid. Past its expiry: expired.
 */
function check(token: EmailToken, user: User, purpose: LinkPurpose): void {
  if (token.purpose !== purpose || token.usedAt || user.disabledAt || token.email !== user.email) {
    throw linkTokenRefused(AuthReason.TOKEN_INVALID);
  }
  if (token.expiresAt.getTime() <= Date.now()) throw linkTokenRefused(AuthReason.TOKEN_EXPIRED);
}
