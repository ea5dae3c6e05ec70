import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../common/request-meta';
import { isUuid } from '../common/uuid';
import { badUserInput, notFound } from '../errors/errors';
import type { RateLimitService } from '../limits/rate-limit.service';
import type { MailService, QueuedMail } from '../mail/mail.service';
import { parseEmail } from '../users/email';
import { User } from '../users/user.entity';
import type { LinkPurpose } from './email-token.entity';
import type { IssuedLink, LinkTokenService } from './link-token.service';

/** The request mutations that name an address and need no sign-in. */
export type AddressRequest = 'requestPasswordReset' | 'resendVerificationEmail';

export interface AddressRequestSpec {
  operation: AddressRequest;
  purpose: LinkPurpose;
  /** Whether this (enabled) account gets the link. */
  eligible(user: User): boolean;
  /** Queues the mail that carries the link, in `tx`. */
  mail(tx: EntityManager, user: User, link: IssuedLink): void;
}

/** The mail that carries a link to the account's own address; it is not sent once the link has expired. */
export const linkMail = <T extends 'resetPassword' | 'verifyEmail'>(template: T, user: User, link: IssuedLink): QueuedMail<T> =>
  ({
    to: user.email,
    template,
    data: { link: link.url, validMinutes: link.validMinutes },
    userId: user.id,
    sendBefore: link.expiresAt,
  }) as QueuedMail<T>;

/**
 * A request for a link by address, answered `true` whether or not the address has an account, with the
 * same work either way: the same limits (counted per address for unknown addresses too), one token
 * generated and hashed, and the same statements (src/recovery/link-token.service.ts), which write nothing
 * for no account. The one difference is the mail itself, a row queued in the same commit. An unknown or
 * disabled address gets no mail: nothing to enumerate, and no mail to a stranger who never signed up.
 * Returns the account that got a link, for the caller's event.
 */
export async function requestByAddress(
  deps: { mail: MailService; limits: RateLimitService; links: LinkTokenService },
  em: EntityManager,
  rawEmail: string,
  client: ClientInfo,
  spec: AddressRequestSpec,
): Promise<User | null> {
  await deps.limits.consumeIp(spec.operation, client.ip);
  // Said before anything is looked up, the same for every address.
  deps.mail.assertEnabled();
  const email = parseEmail(rawEmail);
  // Only the syntax is judged: no account can have a malformed address.
  if (!email.ok) throw badUserInput('email', email.message);
  await deps.limits.consumeMailAddress(email.email);
  const user = await em.transactional(async (tx) => {
    const found = await tx.findOne(User, { email: email.email });
    const target = found && !found.disabledAt && spec.eligible(found) ? found : null;
    const link = await deps.links.issue(tx, { userId: target?.id ?? null, purpose: spec.purpose, email: email.email });
    if (target) spec.mail(tx, target, link);
    return target;
  });
  deps.mail.wake();
  return user;
}

export interface AccountRequestSpec {
  purpose: LinkPurpose;
  /** Throws (BAD_USER_INPUT on `userId`) when this account should not get the link, e.g. already verified. */
  check?(user: User): void;
  /** Queues the mail that carries the link, in `tx`. */
  mail(tx: EntityManager, user: User, link: IssuedLink): void;
}

/**
 * An ADMIN's request for a link to an account's own address (the same mail as the request by address):
 * MAIL_UNAVAILABLE first, as every mail flow says it; NOT_FOUND for no such account; BAD_USER_INPUT for a
 * disabled one (its links would not work); the per-address mail limit as for any link. Returns the account.
 */
export async function requestForAccount(
  deps: { mail: MailService; limits: RateLimitService; links: LinkTokenService },
  em: EntityManager,
  userId: string,
  spec: AccountRequestSpec,
): Promise<User> {
  deps.mail.assertEnabled();
  const user = isUuid(userId) ? await em.findOne(User, { id: userId.toLowerCase() }, { refresh: true }) : null;
  if (!user) throw notFound();
  if (user.disabledAt) throw badUserInput('userId', 'This account is disabled: enable it first (a disabled account’s links do not work).');
  spec.check?.(user);
  await deps.limits.consumeMailAddress(user.email);
  await em.transactional(async (tx) => {
    const link = await deps.links.issue(tx, { userId: user.id, purpose: spec.purpose, email: user.email });
    spec.mail(tx, user, link);
  });
  deps.mail.wake();
  return user;
}

/** Notice data: when, and from where as far as the request tells. */
export const noticeData = (client: ClientInfo, at = new Date()): { at: string; ip?: string; userAgent?: string } => ({
  at: at.toISOString(),
  ...(client.ip ? { ip: client.ip } : {}),
  ...(client.userAgent ? { userAgent: client.userAgent } : {}),
});
