import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../common/request-meta';
import type { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import type { SessionGrant, SessionService, SessionState } from '../sessions/session.service';
import type { TokenService } from '../tokens/token.service';
import type { User } from '../users/user.entity';
import type { AuthPayload } from './auth.payload';

export interface SignInOptions {
  /**
   * How the user proved who they are (RFC 8176 values: AMR below). Kept on the session, so every access
   * token it issues (refreshes included) carries it as `amr`, with the level it proves (`aal`, `acr`) and
   * the session's `auth_time`.
   */
  amr: readonly string[];
}

/**
 * The RFC 8176 method lists a sign-in records. A TOTP code is "otp"; a recovery code is a look-up secret
 * (NIST SP 800-63B 5.1.2), for which RFC 8176 has no value: it is recorded as "mfa" alone, which says a
 * second factor was used without claiming it was a one-time-password device. "mfa" is what makes aal 2.
 */
export const AMR = {
  PASSWORD: ['pwd'],
  PASSWORD_AND_TOTP: ['pwd', 'otp', 'mfa'],
  PASSWORD_AND_RECOVERY_CODE: ['pwd', 'mfa'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Finishing a sign-in, whatever proved it (a password, a refresh token, later a second factor or a
 * passkey): open the session, then, once any transaction has committed, record the event and issue the
 * token pair. The refresh cookie is set by the transport that has one (the resolvers'
 * `refreshCookie.deliver`), so this stays usable from any transport.
 */
export class SignInService {
  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: SessionService,
    private readonly events: SecurityEventService,
  ) {}

  /**
   * Opens a session for `user`. Pass the caller's transaction when it has one: the checks and locks it
   * took then cover the new session until it commits.
   */
  startSession(em: EntityManager, user: User, client: ClientInfo, options: SignInOptions): Promise<SessionGrant> {
    return this.sessions.start(em, user, client, options.amr);
  }

  /**
   * Records `event` for the grant's session, then issues the pair. Called after any transaction: the
   * event has its own connection, which must not wait on that one.
   */
  async finish(grant: SessionGrant<SessionState>, client: ClientInfo, event?: SecurityEventType): Promise<AuthPayload> {
    if (event) await this.events.record({ type: event, userId: grant.user.id, sessionId: grant.session.id, client });
    return this.payload(grant);
  }

  /** A sign-in with no transaction of its own: opens the session, records `event`, issues the pair. */
  async complete(em: EntityManager, user: User, client: ClientInfo, options: SignInOptions & { event?: SecurityEventType }): Promise<AuthPayload> {
    return this.finish(await this.startSession(em, user, client, options), client, options.event);
  }

  private payload({ session, user, refreshToken }: SessionGrant<SessionState>): AuthPayload {
    const { token, expiresAt, claims } = this.tokens.issue(user, session.id, Date.now(), { amr: session.amr, authTime: session.authenticatedAt });
    return {
      assurance: { level: claims.aal, methods: [...claims.amr], authenticatedAt: new Date(claims.auth_time * 1000) },
      accessToken: token,
      tokenType: 'Bearer',
      expiresAt,
      refreshToken,
      refreshTokenExpiresAt: this.sessions.endsAt(session),
      user,
    };
  }
}
