import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientInfo } from '../common/request-meta';
import { AuthReason, ErrorCode } from '../errors/codes';
import { AppError, badUserInput, emailTaken, unauthenticated } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import type { RateLimitService } from '../limits/rate-limit.service';
import { RevokeReason, type SessionGrant, type SessionService } from '../sessions/session.service';
import { parseEmail, type EmailCheck } from '../users/email';
import { emailSkeleton, mixedScriptProblem } from '../users/lookalike';
import { Role } from '../users/role';
import { User } from '../users/user.entity';
import { userByEmail } from '../users/user.service';
import { DEFAULT_ACCOUNT_OPTIONS, type AccountOptions } from './account-notifier';
import type { AuthPayload } from './auth.payload';
import type { PasswordHasher } from './password-hasher';
import { assertPasswordNotOversized, type PasswordPolicy } from './password-policy';
import { AMR, type SignInService } from './sign-in.service';
import type { Viewer } from '../identity/viewer';
import type { LoginResult } from './login-result';

const PASSWORD = AMR.PASSWORD;

export interface Credentials {
  email: string;
  password: string;
}

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
}

/** Everything that proves who someone is and hands out tokens: register, login, refresh, password change. */
export class AuthService {
  constructor(
    private readonly passwords: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly signIn: SignInService,
    private readonly sessions: SessionService,
    private readonly events: SecurityEventService,
    private readonly limits: RateLimitService,
    private readonly options: AccountOptions = DEFAULT_ACCOUNT_OPTIONS,
  ) {}

  async register(em: EntityManager, input: Credentials, client: ClientInfo): Promise<AuthPayload> {
    await this.limits.consumeIp('register', client.ip);
    if (this.options.requireVerifiedEmail) {
      // No session for an unverified account: it exists now, and its verification mail is queued with it.
      await this.createAccount(em, input, Role.USER, (tx, user) => this.options.notifier.accountCreated(tx, user));
      this.options.notifier.committed();
      throw unauthenticated(AuthReason.EMAIL_NOT_VERIFIED);
    }
    const user = await this.createAccount(em, input);
    return this.signIn.complete(em, user, client, { amr: PASSWORD });
  }

  /**
   * A new account whose email is free and whose password passes the policy (also the CLI's create-user).
   * `also` runs in the transaction that inserts it (after the insert), e.g. to queue its verification mail.
   */
  async createAccount(
    em: EntityManager,
    input: Credentials,
    role = Role.USER,
    also?: (tx: EntityManager, user: User) => Promise<void>,
  ): Promise<User> {
    const email = parseEmail(input.email);
    if (!email.ok) throw badUserInput('email', email.message);
    // New addresses only: an older account's address keeps working for login whatever it mixes.
    const mixed = mixedScriptProblem(email.email);
    if (mixed) throw badUserInput('email', mixed);
    await this.policy.assertAcceptable(input.password, email.email);
    // Cheap early answer; the unique indexes (email, and its look-alike skeleton) decide under a race.
    // The answer does not say which existing address this one resembles.
    const alike = { $or: [{ email: email.email }, { emailSkeleton: emailSkeleton(email.email) }] };
    if ((await em.count(User, alike)) > 0) throw emailTaken();

    // Hashed before any transaction starts: bcrypt holds no pool connection.
    const passwordHash = await this.passwords.hash(input.password);
    const insert = async (tx: EntityManager) => {
      const user = tx.create(User, { email: email.email, passwordHash, role });
      await tx.flush();
      if (also) await also(tx, user);
      return user;
    };
    try {
      return also ? await em.transactional(insert) : await insert(em);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw emailTaken();
      throw error;
    }
  }

  /**
   * An unknown email, a malformed email and a wrong password fail alike, after one bcrypt comparison
   * each, so neither the answer nor its timing tells whether an account exists.
   */
  async login(em: EntityManager, input: Credentials, client: ClientInfo): Promise<LoginResult> {
    assertPasswordNotOversized(input.password);
    await this.limits.consumeIp('login', client.ip);
    const email = parseEmail(input.email);
    // Keyed by what was typed, whether or not such an account exists, and counted before any hashing.
    const accountKey = email.ok ? email.email : input.email.trim().toLowerCase();
    await this.limits.consumeAccountAttempt(accountKey, client.ip).catch((error: unknown) => this.refusedByAccountLimit(em, error, email, client));
    const user = email.ok ? await userByEmail(em, email.email) : null;
    // The hash bcrypt checks, kept apart from `user`, which a later re-read updates in place.
    const checkedHash = user?.passwordHash;
    const valid = checkedHash ? await this.passwords.verify(input.password, checkedHash) : await this.passwords.verifyNothing(input.password);
    if (!user || !checkedHash || !valid) {
      await this.events.record({ type: SecurityEventType.LOGIN_FAILED, userId: user?.id, client });
      throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    }
    // A second factor is asked only of an account whose password was right, after the checks any sign-in
    // passes (disabled, unverified), so a challenge never stands for an account that could not sign in.
    const secondFactor = await this.options.secondFactor.enrolled(em, user.id);
    // With a second factor the password alone proves nothing yet: the account's count of failures is
    // cleared by verifyMfa's success, not here, or an attacker who holds the password could clear the
    // count of wrong codes with each new login and guess codes without limit.
    if (!secondFactor) await this.limits.clearAccount(accountKey, client.ip);
    // Said only to someone who knows the password.
    if (user.disabledAt) throw unauthenticated(AuthReason.USER_DISABLED);
    if (this.options.requireVerifiedEmail && !user.emailVerifiedAt) throw unauthenticated(AuthReason.EMAIL_NOT_VERIFIED);
    // BCRYPT_COST changed since this hash was made: upgrade it now that we hold the password.
    const rehash = this.passwords.needsRehash(checkedHash) ? await this.passwords.hash(input.password) : undefined;
    if (secondFactor) {
      // Only if the hash is still the one checked: a concurrent change wins.
      if (rehash) await em.nativeUpdate(User, { id: user.id, passwordHash: checkedHash }, { passwordHash: rehash });
      return this.options.secondFactor.challenge(em, user, client);
    }
    // Usually one statement: when nothing else is written with the session (no re-hash, no sign-in
    // notice), it opens it only if the user row is unchanged, under the same share lock as below.
    if (!rehash && !this.options.notifier.notifiesSignIn) {
      const opened = await this.sessions.startIfUnchanged(em, user.id, checkedHash, client, PASSWORD);
      if (opened) return this.signIn.finish(opened, client, SecurityEventType.LOGIN_SUCCEEDED);
    }
    const grant = await em.transactional(async (tx) => {
      // The password was checked against `checkedHash`, read before bcrypt ran. Re-read the row under a
      // share lock: a password change or a disable that committed meanwhile wins, and one that starts now
      // waits for this session to exist, so its revocation covers it. (The refresh updates `user` too, as
      // the transaction shares its identity map: hence the copy.)
      const current = await tx.findOneOrFail(User, user.id, { lockMode: LockMode.PESSIMISTIC_READ, refresh: true });
      if (current.passwordHash !== checkedHash) throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
      if (current.disabledAt) throw unauthenticated(AuthReason.USER_DISABLED);
      if (rehash) current.passwordHash = rehash;
      const started = await this.signIn.startSession(tx, current, client, { amr: PASSWORD });
      await this.options.notifier.signedIn(tx, current, started.session, client);
      return started;
    });
    this.options.notifier.committed();
    return this.signIn.finish(grant, client, SecurityEventType.LOGIN_SUCCEEDED);
  }

  /**
   * The per-account limit refused a login: recorded as ACCOUNT_LOCKED (with the account when there is one,
   * and the client's IP), then the refusal goes on. The answer is RATE_LIMITED either way, so looking the
   * account up here tells the client nothing; the event's dedupe keeps a flood of refusals to one row per
   * account and IP per window.
   */
  private async refusedByAccountLimit(em: EntityManager, error: unknown, email: EmailCheck, client: ClientInfo): Promise<never> {
    if (error instanceof AppError && error.code === ErrorCode.RATE_LIMITED) {
      const user = email.ok ? await userByEmail(em, email.email) : null;
      await this.events.record({ type: SecurityEventType.ACCOUNT_LOCKED, userId: user?.id ?? null, client });
    }
    throw error;
  }

  /**
   * Completes a sign-in whose second factor is proven by `prove` (verifyMfa): it runs first in the
   * transaction (it spends the challenge and the code) and returns the methods (amr) it proved; then the
   * user row is re-read under a share lock as login does, so a disable that committed meanwhile wins.
   */
  async signInWithSecondFactor(
    em: EntityManager,
    userId: string,
    client: ClientInfo,
    prove: (tx: EntityManager) => Promise<readonly string[]>,
  ): Promise<AuthPayload> {
    const grant = await em.transactional(async (tx) => {
      const amr = await prove(tx);
      const current = await tx.findOneOrFail(User, userId, { lockMode: LockMode.PESSIMISTIC_READ, refresh: true });
      if (current.disabledAt) throw unauthenticated(AuthReason.USER_DISABLED);
      if (this.options.requireVerifiedEmail && !current.emailVerifiedAt) throw unauthenticated(AuthReason.EMAIL_NOT_VERIFIED);
      const started = await this.signIn.startSession(tx, current, client, { amr });
      await this.options.notifier.signedIn(tx, current, started.session, client);
      return started;
    });
    this.options.notifier.committed();
    const user = grant.user;
    await this.limits.clearAccount(user.email, client.ip);
    return this.signIn.finish(grant, client, SecurityEventType.LOGIN_SUCCEEDED);
  }

  /**
   * The viewer proved who they are again (reauthenticate): the same session records `amr` and now, and
   * hands out a fresh pair.
   */
  async reauthenticated(em: EntityManager, viewer: Viewer, amr: readonly string[], client: ClientInfo): Promise<AuthPayload> {
    const grant: SessionGrant = await this.sessions.reauthenticated(em, viewer.user.id, viewer.sessionId, amr);
    return this.signIn.finish(grant, client);
  }

  /** Rotates a refresh token. A rotated token presented after the grace window ends its session: theft. */
  async refresh(em: EntityManager, refreshToken: string, client: ClientInfo): Promise<AuthPayload> {
    await this.limits.consumeIp('refresh', client.ip);
    const outcome = await this.sessions.rotate(em, refreshToken, { requireVerifiedEmail: this.options.requireVerifiedEmail });
    if (outcome.kind === 'reused') {
      await this.events.record({
        type: SecurityEventType.REFRESH_TOKEN_REUSE,
        userId: outcome.userId,
        sessionId: outcome.sessionId,
        client,
      });
      throw unauthenticated(AuthReason.REFRESH_TOKEN_REUSED);
    }
    return this.signIn.finish(outcome, client);
  }

  /**
   * Verifies the current password, sets the new one, ends every session and opens a fresh one (ASVS 7.4.3).
   * bcrypt runs before the transaction, against a hash read first, so a burst of changes holds no pool
   * connection or row lock while it hashes; the transaction then re-checks that hash under the lock.
   */
  async changePassword(em: EntityManager, viewer: Viewer, input: PasswordChange, client: ClientInfo): Promise<AuthPayload> {
    assertPasswordNotOversized(input.currentPassword, 'currentPassword');
    await this.limits.consumeIp('changePassword', client.ip);
    const { user } = viewer;
    // A stolen access token must not become an unlimited oracle for the password.
    await this.limits.consumeAccountAttempt(user.email, client.ip);
    await this.policy.assertAcceptable(input.newPassword, user.email, 'newPassword');
    const passwordHash = await this.passwords.hash(input.newPassword);
    // The hash bcrypt checks, kept apart from the entity, which the re-read below updates in place.
    const checkedHash = (await em.findOneOrFail(User, user.id, { refresh: true })).passwordHash;
    if (!(await this.passwords.verify(input.currentPassword, checkedHash))) return this.wrongCurrentPassword(user.id, client);
    const grant = await em.transactional(async (tx) => {
      // Locked for the rest of the change: concurrent changes and logins take turns, so no session opened
      // with the old password survives, and two changes cannot both succeed. When the hash changed since it
      // was read, the password is checked again, under the lock, against the hash that is there now: a login
      // that re-hashed the same password (BCRYPT_COST changed) lets the change through, and a change that
      // committed another password wins, this one answered as a wrong current password, which is what it now
      // is (no answer confirms a password that was right a moment ago). Only this rare race hashes under the lock.
      const current = await tx.findOneOrFail(User, user.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (current.passwordHash !== checkedHash && !(await this.passwords.verify(input.currentPassword, current.passwordHash))) return undefined;
      if (current.disabledAt) throw unauthenticated(AuthReason.USER_DISABLED);
      current.passwordHash = passwordHash;
      await this.sessions.revokeAll(tx, user.id, RevokeReason.PASSWORD_CHANGED);
      await this.options.notifier.passwordChanged(tx, current, client);
      // The new session proves what the step-up before this change proved (a second factor too, if any).
      return this.signIn.startSession(tx, current, client, { amr: viewer.claims.amr });
    });
    if (!grant) return this.wrongCurrentPassword(user.id, client);
    this.options.notifier.committed();
    await this.limits.clearAccount(user.email, client.ip);
    return this.signIn.finish(grant, client, SecurityEventType.PASSWORD_CHANGED);
  }

  /**
   * Whether the viewer authenticated recently enough for a sensitive change (@RequiresRecentAuth): the
   * token's `auth_time` within REAUTH_WINDOW, at the account's highest level (aal 2 when it has a second
   * factor, so a password alone never unlocks what the factor protects). Else REAUTHENTICATION_REQUIRED.
   */
  async assertRecentAuthentication(em: EntityManager, viewer: Viewer, now = Date.now()): Promise<void> {
    const { auth_time, aal } = viewer.claims;
    const recent = now - auth_time * 1000 <= this.options.reauthWindowSeconds * 1000;
    if (!recent) throw unauthenticated(AuthReason.REAUTHENTICATION_REQUIRED);
    if (aal < 2 && (await this.options.secondFactor.enrolled(em, viewer.user.id))) throw unauthenticated(AuthReason.REAUTHENTICATION_REQUIRED);
  }

  /** Whether the account has a second factor (a password then does not stand in for a recent sign-in). */
  hasSecondFactor(em: EntityManager, userId: string): Promise<boolean> {
    return this.options.secondFactor.enrolled(em, userId);
  }

  /**
   * REQUIRE_MFA_FOR_ROLES: a session of such a role without a second factor (aal 1) may only enroll one.
   * Called by the auth checker for every @Authorized field but those marked @AllowedBeforeMfaEnrollment.
   */
  assertEnrollmentNotRequired(viewer: Viewer): void {
    if (viewer.claims.aal < 2 && this.options.mfaRequiredForRoles.includes(viewer.user.role))
      throw unauthenticated(AuthReason.MFA_ENROLLMENT_REQUIRED);
  }

  /**
   * Checks the viewer's current password (a step-up or reauthenticate): counted by the per-account limits
   * like changePassword's; wrong: BAD_USER_INPUT on `field`, recorded as a failed login.
   */
  async verifyCurrentPassword(
    em: EntityManager,
    viewer: Viewer,
    password: string,
    client: ClientInfo,
    via: string,
    field = 'currentPassword',
  ): Promise<void> {
    assertPasswordNotOversized(password, field);
    const { user } = viewer;
    await this.limits.consumeAccountAttempt(user.email, client.ip);
    const { passwordHash } = await em.findOneOrFail(User, user.id, { refresh: true });
    if (!(await this.passwords.verify(password, passwordHash))) return this.wrongCurrentPassword(user.id, client, via, field);
  }

  /** A right password (after verifyCurrentPassword) with nothing else to prove: the account's count starts over. */
  clearAttempts(email: string, client: ClientInfo): Promise<void> {
    return this.limits.clearAccount(email, client.ip);
  }

  /**
   * Step-up before a sensitive change (changing the email address) given the current password: the
   * decorator (@RequiresRecentAuth with `orPassword`) has let it through without a recent sign-in because
   * the account has no second factor; the password must be right.
   */
  async stepUp(em: EntityManager, viewer: Viewer, currentPassword: string | null | undefined, client: ClientInfo, via: string): Promise<void> {
    if (currentPassword === null || currentPassword === undefined) return;
    await this.verifyCurrentPassword(em, viewer, currentPassword, client, via);
    await this.limits.clearAccount(viewer.user.email, client.ip);
  }

  /** Recorded after any transaction: the event has its own connection, which must not wait on that one. */
  private async wrongCurrentPassword(userId: string, client: ClientInfo, via = 'changePassword', field = 'currentPassword'): Promise<never> {
    await this.events.record({ type: SecurityEventType.LOGIN_FAILED, userId, client, details: { via } });
    throw badUserInput(field, field === 'password' ? 'The password is not correct.' : 'The current password is not correct.');
  }
}
