import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../common/request-meta';
import { badUserInput } from '../errors/errors';
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

/** Notice data: when, and from where as far as the request tells. */
export const noticeData = (client: ClientInfo, at = new Date()): { at: string; ip?: string; userAgent?: string } => ({
  at: at.toISOString(),
  ...(client.ip ? { ip: client.ip } : {}),
  ...(client.userAgent ? { userAgent: client.userAgent } : {}),
});
