import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config';
import type { AuthCache } from './identity/auth-cache';
import { AuthService } from './auth/auth.service';
import { PasswordHasher } from './auth/password-hasher';
import { PasswordPolicy } from './auth/password-policy';
import { SignInService } from './auth/sign-in.service';
import { RevocationService } from './tokens/revocation.service';
import { TokenService } from './tokens/token.service';
import { ViewerService } from './identity/viewer.service';
import { AlertService } from './events/alert.service';
import { SecurityEventService } from './events/security-event.service';
import { SecurityEventStatsService } from './events/security-event-stats.service';
import { Housekeeping } from './jobs/housekeeping';
import { MailDispatcher } from './jobs/mail-dispatcher';
import { MailService } from './mail/mail.service';
import { OutboxCipher } from './mail/outbox-cipher';
import { createMailTransport } from './mail/transport';
import type { Metrics } from './observability/metrics';
import { RateLimitService, type StoreFactory } from './limits/rate-limit.service';
import { RotationKey } from './sessions/refresh-token';
import { SessionControlService } from './sessions/session-control.service';
import { SessionService } from './sessions/session.service';
import { AdminService } from './admin/admin.service';
import { UserSessionsService } from './admin/user-sessions.service';
import { UserService } from './users/user.service';
import { AccountNotices } from './recovery/account-notices';
import { EmailChangeService } from './recovery/email-change.service';
import { LinkTokenService } from './recovery/link-token.service';
import { PasswordResetService } from './recovery/password-reset.service';
import { VerificationService } from './recovery/verification.service';
import { MfaService } from './mfa/mfa.service';
import type { SecondFactor } from './auth/second-factor';
import { PasskeyService } from './passkeys/passkey.service';

/** Process-wide services; per-request state (the EntityManager, the viewer) is passed in by callers. */
export interface Services {
  auth: AuthService;
  signIn: SignInService;
  viewer: ViewerService;
  sessions: SessionService;
  sessionControl: SessionControlService;
  users: UserService;
  admin: AdminService;
  /** An ADMIN's view of another user's sessions, and their end. */
  userSessions: UserSessionsService;
  events: SecurityEventService;
  eventStats: SecurityEventStatsService;
  alerts: AlertService;
  tokens: TokenService;
  revocations: RevocationService;
  passwords: PasswordHasher;
  housekeeping: Housekeeping;
  limits: RateLimitService;
  mail: MailService;
  /** Delivers the mail outbox; app.ts starts it as a job when mail is enabled. */
  mailDispatcher: MailDispatcher;
  verification: VerificationService;
  passwordReset: PasswordResetService;
  emailChange: EmailChangeService;
  mfa: MfaService;
  passkeys: PasskeyService;
}

export function createServices(
  config: Config,
  orm: MikroORM,
  log: FastifyBaseLogger,
  limitStore: StoreFactory,
  authCache: AuthCache | undefined,
  metrics: Metrics,
): Services {
  const passwords = new PasswordHasher(config.bcryptCost);
  const tokens = new TokenService(config.jwt);
  const revocations = new RevocationService(config.jwt.clockToleranceSeconds);
  const alerts = new AlertService(config.alertWebhook, log);
  const events = new SecurityEventService(orm, config.securityEventDedupeSeconds, alerts, log, metrics, { max: config.securityEventQueueMax });
  const sessions = new SessionService(config.sessions, new RotationKey(config.jwt.secret));
  const users = new UserService();
  const limits = new RateLimitService(config.rateLimits, limitStore);
  const signIn = new SignInService(tokens, sessions, events);
  const mailCipher = new OutboxCipher(config.jwt.secret);
  const mail = new MailService(config.mail, mailCipher, metrics);
  // Development without SMTP_URL: the line that names each .eml file is how a developer finds the link.
  const mailTransport = createMailTransport(config, (file) => log.info({ file }, 'mail written to a file (no SMTP_URL)'));
  const mailDispatcher = new MailDispatcher(orm, mail, mailTransport, mailCipher, events, metrics, config.mail, log);
  const policy = new PasswordPolicy(config.passwords, log);
  // Account recovery (src/recovery/) implements the notices auth/ asks for (auth/ does not import it).
  const links = new LinkTokenService(config.recovery);
  const verification = new VerificationService(links, mail, limits, events);
  const notifier = new AccountNotices(config.recovery, mail, links, verification);
  // The second factor (src/mfa/) is what login asks for a challenge; it signs in through auth/ in turn,
  // hence the late binding.
  let mfa: MfaService | undefined = undefined;
  const secondFactor: SecondFactor = {
    enrolled: (em, userId) => mfa!.challenges.enrolled(em, userId),
    challenge: (em, user, client) => mfa!.challenges.challenge(em, user, client),
  };
  const auth = new AuthService(passwords, policy, signIn, sessions, events, limits, {
    requireVerifiedEmail: config.recovery.requireVerifiedEmail,
    reauthWindowSeconds: config.sessions.reauthWindowSeconds,
    notifier,
    secondFactor,
    mfaRequiredForRoles: config.mfa.requiredForRoles,
  });
  // Passkeys sign in through auth/ and answer second-factor challenges (mfa/ asks them as its PasskeyFactor).
  const passkeys = new PasskeyService(config.webauthn, auth, events, limits);
  mfa = new MfaService(config.mfa, config.jwt.issuer, events, limits, mail, auth, passkeys);
  return {
    auth,
    signIn,
    viewer: new ViewerService(tokens, events, orm.em.getConnection(), authCache),
    sessions,
    sessionControl: new SessionControlService(sessions, revocations, events),
    users,
    admin: new AdminService(sessions, events),
    userSessions: new UserSessionsService(sessions, users, events),
    events,
    eventStats: new SecurityEventStatsService(),
    alerts,
    tokens,
    revocations,
    passwords,
    housekeeping: new Housekeeping(config, revocations),
    limits,
    mail,
    mailDispatcher,
    verification,
    passwordReset: new PasswordResetService(links, mail, limits, events, passwords, policy, sessions),
    emailChange: new EmailChangeService(links, mail, limits, events, auth),
    mfa,
    passkeys,
  };
}
