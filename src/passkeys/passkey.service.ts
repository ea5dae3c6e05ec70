import { randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { AuthPayload } from '../auth/auth.payload';
import type { AuthService } from '../auth/auth.service';
import type { ClientInfo } from '../common/request-meta';
import { isUuid } from '../common/uuid';
import type { Config } from '../config';
import { PasskeyCloneSuspected, type PasskeyFactor } from '../mfa/passkey-factor';
import { AuthReason, ErrorCode } from '../errors/codes';
import { AppError, badUserInput, notFound, unauthenticated } from '../errors/errors';
import { SecurityEventType } from '../events/security-event-type';
import type { SecurityEventService } from '../events/security-event.service';
import type { Viewer } from '../identity/viewer';
import type { RateLimitService } from '../limits/rate-limit.service';
import { parseEmail } from '../users/email';
import { User } from '../users/user.entity';
import { CHALLENGE_TTL_SECONDS, ChallengeStore } from './challenge-store';
import { passkeyAmr } from './passkey.amr';
import { Passkey, PasskeyUserHandle } from './passkey.entity';
import { ChallengePurpose } from './webauthn-challenge.entity';
import {
  libraryRefusal,
  parseAssertion,
  parseRegistration,
  registrationRefusal,
  signInRefusal,
  type ClientData,
  type Refusal,
} from './webauthn-response';

const MAX_NAME_LENGTH = 64;
const TIMEOUT_MS = CHALLENGE_TTL_SECONDS * 1000;

export interface PasskeyLoginOptions {
  challengeId: string;
  options: PublicKeyCredentialRequestOptionsJSON;
}

/**
 * Passkeys: registration (signed in, after a step-up), the list, and sign-in without a password. The
 * WebAuthn ceremony itself is @simplewebauthn/server's; this service decides which challenge, origins and
 * RP ID it is checked against, keeps the counter honest and finishes the sign-in through AuthService.
 */
export class PasskeyService implements PasskeyFactor {
  private readonly challenges = new ChallengeStore();

  constructor(
    private readonly config: Config['webauthn'],
    private readonly auth: AuthService,
    private readonly events: SecurityEventService,
    private readonly limits: RateLimitService,
  ) {}

  async registrationOptions(em: EntityManager, viewer: Viewer): Promise<PublicKeyCredentialCreationOptionsJSON> {
    this.assertEnabled();
    const user = await em.findOneOrFail(User, viewer.user.id);
    const handle = await this.userHandle(em, user);
    const existing = await em.find(Passkey, { user: user.id }, { orderBy: { createdAt: 'asc' } });
    const options = await generateRegistrationOptions({
      rpName: this.config.rpName,
      rpID: this.config.rpId,
      userName: user.email,
      userDisplayName: user.email,
      userID: Buffer.from(handle, 'base64url'),
      timeout: TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
    });
    await this.challenges.save(em, ChallengePurpose.REGISTRATION, options.challenge, user);
    return options;
  }

  async register(em: EntityManager, viewer: Viewer, value: unknown, name: string | null | undefined, client: ClientInfo): Promise<Passkey> {
    this.assertEnabled();
    const label = this.checkName(name ?? 'Passkey');
    const { response, clientData } = parseRegistration(value);
    this.assertOrigin(clientData, registrationRefusal);
    // Spent before anything is checked: whatever the outcome, an answer to it was given.
    const challenge = await this.challenges.spend(em, ChallengePurpose.REGISTRATION, clientData.challenge, { userId: viewer.user.id });
    if (!challenge) throw registrationRefusal(AuthReason.PASSKEY_CHALLENGE_INVALID);
    const verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: clientData.challenge,
      expectedOrigin: [...this.config.origins],
      expectedRPID: this.config.rpId,
      requireUserVerification: false,
    }).catch((error: unknown) => {
      throw libraryRefusal(error, registrationRefusal);
    });
    if (!verification.verified) throw registrationRefusal(AuthReason.PASSKEY_INVALID);
    const passkey = await em.transactional(async (tx) => {
      const { credential, credentialBackedUp, credentialDeviceType, aaguid } = verification.registrationInfo;
      if ((await tx.count(Passkey, { credentialId: credential.id })) > 0) {
        throw badUserInput('response', 'This passkey is already registered.');
      }
      const created = tx.create(Passkey, {
        user: tx.getReference(User, viewer.user.id),
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        signCount: credential.counter,
        transports: credential.transports ?? response.response.transports ?? [],
        backedUp: credentialBackedUp,
        deviceType: credentialDeviceType,
        aaguid,
        name: label,
      });
      await tx.flush();
      return created;
    });
    await this.events.record({
      type: SecurityEventType.PASSKEY_ADDED,
      userId: viewer.user.id,
      sessionId: viewer.sessionId,
      client,
      details: { passkeyId: passkey.id, deviceType: passkey.deviceType },
    });
    return passkey;
  }

  list(em: EntityManager, userId: string): Promise<Passkey[]> {
    return em.find(Passkey, { user: userId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  async rename(em: EntityManager, viewer: Viewer, id: string, name: string): Promise<Passkey> {
    const passkey = await this.owned(em, viewer, id);
    passkey.name = this.checkName(name);
    await em.flush();
    return passkey;
  }

  /** Refused when it is the account's last way to sign in: no password and no other passkey. */
  async remove(em: EntityManager, viewer: Viewer, id: string, client: ClientInfo): Promise<boolean> {
    await em.transactional(async (tx) => {
      // The user row is locked so two removals (or a removal and removePassword) take turns.
      const user = await tx.findOneOrFail(User, viewer.user.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      const passkey = await this.owned(tx, viewer, id);
      const others = await tx.count(Passkey, { user: user.id, id: { $ne: passkey.id } });
      if (!hasPassword(user) && others === 0) throw new AppError(ErrorCode.LAST_SIGN_IN_METHOD);
      tx.remove(passkey);
      await tx.flush();
    });
    await this.events.record({
      type: SecurityEventType.PASSKEY_REMOVED,
      userId: viewer.user.id,
      sessionId: viewer.sessionId,
      client,
      details: { passkeyId: id },
    });
    return true;
  }

  /**
   * Removes the password of an account that has a passkey: it then signs in with passkeys only, and a
   * password reset by email remains the way back in. Refused (LAST_SIGN_IN_METHOD) without a passkey.
   */
  async removePassword(em: EntityManager, viewer: Viewer, client: ClientInfo): Promise<boolean> {
    await em.transactional(async (tx) => {
      const user = await tx.findOneOrFail(User, viewer.user.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if ((await tx.count(Passkey, { user: user.id })) === 0) throw new AppError(ErrorCode.LAST_SIGN_IN_METHOD);
      // The hasher reads an empty hash as "no password": every password then fails, after a dummy comparison.
      user.passwordHash = NO_PASSWORD;
      await tx.flush();
    });
    await this.events.record({
      type: SecurityEventType.PASSWORD_CHANGED,
      userId: viewer.user.id,
      sessionId: viewer.sessionId,
      client,
      details: { removed: true },
    });
    return true;
  }

  /**
   * Options for a sign-in. With an email, the account's passkeys are listed (allowCredentials); an unknown
   * address gets options like an account without passkeys, so the answer says nothing about accounts.
   * Without one, the browser offers the discoverable passkeys it holds for this RP ID (autofill).
   */
  async loginOptions(em: EntityManager, email: string | null | undefined, client: ClientInfo): Promise<PasskeyLoginOptions> {
    this.assertEnabled();
    await this.limits.consumeIp('passkeyLoginOptions', client.ip);
    let user: User | null = null;
    if (email !== null && email !== undefined) {
      const parsed = parseEmail(email);
      if (!parsed.ok) throw badUserInput('email', parsed.message);
      user = await em.findOne(User, { email: parsed.email });
    }
    const passkeys = user ? await this.list(em, user.id) : [];
    const options = await generateAuthenticationOptions({
      rpID: this.config.rpId,
      timeout: TIMEOUT_MS,
      userVerification: 'preferred',
      allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports as AuthenticatorTransport[] })),
    });
    const challenge = await this.challenges.save(em, ChallengePurpose.AUTHENTICATION, options.challenge, user);
    return { challengeId: challenge.id, options };
  }

  /**
   * A sign-in with a passkey. Counted per IP (RATE_LIMIT_PASSKEY_LOGIN_IP) and, once the passkey names an
   * account, in the account's limits like a password. An unknown or removed passkey, a disabled account and
   * a bad signature all answer PASSKEY_INVALID.
   */
  async login(em: EntityManager, input: { challengeId: string; response: unknown }, client: ClientInfo): Promise<AuthPayload> {
    this.assertEnabled();
    await this.limits.consumeIp('loginWithPasskey', client.ip);
    const { response, clientData, userHandle } = parseAssertion(input.response);
    this.assertOrigin(clientData, signInRefusal);
    // Spent before anything else is checked: whatever the outcome, an answer to it was given (a replay,
    // or a second try with another passkey, needs new options).
    const challenge = isUuid(input.challengeId)
      ? await this.challenges.spend(em, ChallengePurpose.AUTHENTICATION, clientData.challenge, { id: input.challengeId })
      : undefined;
    if (!challenge) throw unauthenticated(AuthReason.PASSKEY_CHALLENGE_INVALID);
    const found = await em.findOne(Passkey, { credentialId: response.id }, { populate: ['user'] });
    const handle = found ? await em.findOne(PasskeyUserHandle, { user: found.user.id }) : null;
    const wrongAccount = challenge.user !== null && challenge.user.id !== found?.user.id;
    if (!found || found.user.disabledAt || wrongAccount || (userHandle !== undefined && userHandle !== handle?.handle)) {
      throw unauthenticated(AuthReason.PASSKEY_INVALID);
    }
    const user = found.user;
    await this.limits.consumeAccountAttempt(user.email, client.ip);
    // The stored counter is given to the library as 0: the comparison is made below, under the row lock,
    // where it also catches two assertions raced with one counter value.
    const verification = await this.verifyAssertion(found, response, clientData).catch((error: unknown) => {
      throw libraryRefusal(error, signInRefusal);
    });
    if (!verification) throw unauthenticated(AuthReason.PASSKEY_INVALID);
    const { newCounter, userVerified, credentialBackedUp } = verification;
    // Without user verification a passkey is one factor: it does not stand in for the password and code of
    // an account that has a second factor.
    if (!userVerified && (await this.auth.hasSecondFactor(em, user.id))) throw unauthenticated(AuthReason.PASSKEY_USER_VERIFICATION_REQUIRED);
    const amr = passkeyAmr(credentialBackedUp, userVerified);
    try {
      const payload = await this.auth.signInWithSecondFactor(em, user.id, client, async (tx) => {
        const passkey = await tx.findOne(Passkey, found.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        const current = await tx.findOneOrFail(User, user.id, { refresh: true });
        if (!passkey || current.disabledAt) throw unauthenticated(AuthReason.PASSKEY_INVALID);
        this.advanceCounter(passkey, newCounter, credentialBackedUp);
        await tx.flush();
        return amr;
      });
      await this.events.record({ type: SecurityEventType.PASSKEY_SIGN_IN, userId: user.id, client, details: { passkeyId: found.id, userVerified } });
      return payload;
    } catch (error) {
      if (!(error instanceof PasskeyCloneSuspected)) throw error;
      await this.events.record({ type: SecurityEventType.PASSKEY_CLONE_SUSPECTED, userId: user.id, client, details: error.details });
      throw unauthenticated(AuthReason.PASSKEY_INVALID);
    }
  }

  /** PasskeyFactor: request options for the account's passkeys, with an MfaChallenge; undefined without any. */
  async options(em: EntityManager, userId: string): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
    if (!this.config.enabled) return undefined;
    const passkeys = await this.list(em, userId);
    if (passkeys.length === 0) return undefined;
    const options = await generateAuthenticationOptions({
      rpID: this.config.rpId,
      timeout: TIMEOUT_MS,
      userVerification: 'preferred',
      allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports as AuthenticatorTransport[] })),
    });
    await this.challenges.save(em, ChallengePurpose.AUTHENTICATION, options.challenge, em.getReference(User, userId));
    return options;
  }

  /**
   * PasskeyFactor: verifyMfa with method PASSKEY, after the password. The assertion must answer a challenge
   * bound to this account with one of its passkeys; user verification is not required (the password is the
   * other factor), so the methods are the password's and the key's, with "mfa".
   */
  async prove(tx: EntityManager, userId: string, assertion: string): Promise<readonly string[] | undefined> {
    if (!this.config.enabled) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(assertion);
    } catch {
      return undefined;
    }
    const parsed = (() => {
      try {
        return parseAssertion(value);
      } catch {
        return undefined;
      }
    })();
    if (!parsed || !this.config.origins.includes(parsed.clientData.origin)) return undefined;
    const { response, clientData } = parsed;
    const challenge = await this.challenges.spend(tx, ChallengePurpose.AUTHENTICATION, clientData.challenge, { userId });
    if (!challenge) return undefined;
    const passkey = await tx.findOne(Passkey, { credentialId: response.id, user: userId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    if (!passkey) return undefined;
    const verified = await this.verifyAssertion(passkey, response, clientData).catch(() => undefined);
    if (!verified) return undefined;
    this.advanceCounter(passkey, verified.newCounter, verified.credentialBackedUp);
    await tx.flush();
    return ['pwd', verified.credentialBackedUp ? 'swk' : 'hwk', 'mfa'];
  }

  /**
   * The signature, challenge, origin, RP ID and flags, by @simplewebauthn/server. The stored counter is
   * given to it as 0: the comparison is made by advanceCounter, under the row lock, where it also catches
   * two assertions raced with one counter value. Throws the library's refusal; undefined if not verified.
   */
  private async verifyAssertion(passkey: Passkey, response: AuthenticationResponseJSON, clientData: ClientData) {
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: clientData.challenge,
      expectedOrigin: [...this.config.origins],
      expectedRPID: this.config.rpId,
      credential: {
        id: passkey.credentialId,
        publicKey: Buffer.from(passkey.publicKey, 'base64url'),
        counter: 0,
        transports: passkey.transports as AuthenticatorTransport[],
      },
      requireUserVerification: false,
    });
    return verification.verified ? verification.authenticationInfo : undefined;
  }

  /**
   * WebAuthn §7.2 step 21: a counter that does not move forward (when either value is non-zero) means two
   * authenticators may hold this key: PasskeyCloneSuspected. Otherwise the passkey records its use.
   */
  private advanceCounter(passkey: Passkey, newCounter: number, backedUp: boolean): void {
    const stored = Number(passkey.signCount);
    if ((stored !== 0 || newCounter !== 0) && newCounter <= stored) {
      throw new PasskeyCloneSuspected({ passkeyId: passkey.id, storedCounter: stored, receivedCounter: newCounter });
    }
    passkey.signCount = newCounter;
    passkey.backedUp = backedUp;
    passkey.lastUsedAt = new Date();
  }

  /** The account's WebAuthn user handle, made on its first registration. */
  private async userHandle(em: EntityManager, user: User): Promise<string> {
    const existing = await em.findOne(PasskeyUserHandle, { user: user.id });
    if (existing) return existing.handle;
    const handle = randomBytes(32).toString('base64url');
    await em
      .getConnection()
      .execute(`insert into passkey_user_handles (user_id, handle) values (?, ?) on conflict (user_id) do nothing`, [user.id, handle]);
    return (await em.findOneOrFail(PasskeyUserHandle, { user: user.id }, { refresh: true })).handle;
  }

  private async owned(em: EntityManager, viewer: Viewer, id: string): Promise<Passkey> {
    if (!isUuid(id)) throw notFound();
    const passkey = await em.findOne(Passkey, { id, user: viewer.user.id });
    if (!passkey) throw notFound();
    return passkey;
  }

  private checkName(name: string): string {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > MAX_NAME_LENGTH) throw badUserInput('name', `A passkey's name has 1 to ${MAX_NAME_LENGTH} characters.`);
    return trimmed;
  }

  /** The signed client data names the page that asked: it must be one of WEBAUTHN_ORIGINS (checked again by the library). */
  private assertOrigin(clientData: ClientData, refuse: Refusal): void {
    if (!this.config.origins.includes(clientData.origin)) throw refuse(AuthReason.PASSKEY_ORIGIN_REFUSED);
  }

  private assertEnabled(): void {
    if (!this.config.enabled) throw new AppError(ErrorCode.PASSKEYS_UNAVAILABLE);
  }
}

/** What passwordHash holds for an account without a password (PasswordHasher.verify answers false for it). */
export const NO_PASSWORD = '';
export const hasPassword = (user: User): boolean => user.passwordHash !== NO_PASSWORD;
