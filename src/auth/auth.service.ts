import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuthReason } from '../errors/codes';
import { badUserInput, emailTaken, unauthenticated } from '../errors/errors';
import { parseEmail } from '../users/email';
import { User } from '../users/user.entity';
import type { UserService } from '../users/user.service';
import type { AuthPayload } from './auth.payload';
import type { PasswordHasher } from './password-hasher';
import { assertAcceptablePassword, assertPasswordNotOversized } from './password-policy';
import type { RevocationService } from './revocation.service';
import type { TokenService } from './token.service';
import type { Viewer } from './viewer';

export interface Credentials {
  email: string;
  password: string;
}

export class AuthService {
  constructor(
    private readonly passwords: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly revocations: RevocationService,
    private readonly users: UserService,
  ) {}

  async register(em: EntityManager, input: Credentials): Promise<AuthPayload> {
    const email = parseEmail(input.email);
    if (!email.ok) throw badUserInput('email', email.message);
    assertAcceptablePassword(input.password);
    // Cheap early answer; the unique index below is what decides under a race.
    if ((await em.count(User, { email: email.email })) > 0) throw emailTaken();

    const user = em.create(User, { email: email.email, passwordHash: await this.passwords.hash(input.password) });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw emailTaken();
      throw error;
    }
    return this.signIn(user);
  }

  /**
   * An unknown email, a malformed email and a wrong password fail alike, after one bcrypt comparison
   * each, so neither the answer nor its timing tells whether an account exists.
   */
  async login(em: EntityManager, input: Credentials): Promise<AuthPayload> {
    assertPasswordNotOversized(input.password);
    const email = parseEmail(input.email);
    const user = email.ok ? await em.findOne(User, { email: email.email }) : null;
    const valid = user ? await this.passwords.verify(input.password, user.passwordHash) : await this.passwords.verifyNothing(input.password);
    if (!user || !valid) throw unauthenticated(AuthReason.INVALID_CREDENTIALS);
    if (this.passwords.needsRehash(user.passwordHash)) {
      // BCRYPT_COST changed since this hash was made: upgrade it now that we hold the password.
      user.passwordHash = await this.passwords.hash(input.password);
      await em.flush();
    }
    return this.signIn(user);
  }

  /** Revokes the token that made the request; the user's other tokens keep working. */
  async logout(em: EntityManager, viewer: Viewer): Promise<void> {
    await this.revocations.revoke(em, viewer.claims);
  }

  /** Verifies the token, then checks revocation and loads the user. Any database failure propagates: fail closed. */
  async resolveViewer(em: EntityManager, token: string): Promise<Viewer> {
    const claims = this.tokens.verify(token);
    if (await this.revocations.isRevoked(em, claims.jti)) throw unauthenticated(AuthReason.TOKEN_REVOKED);
    const user = await this.users.findById(em, claims.sub);
    if (!user) throw unauthenticated(AuthReason.TOKEN_INVALID);
    return { user, claims };
  }

  private signIn(user: User): AuthPayload {
    const { token, expiresAt } = this.tokens.issue(user);
    return { accessToken: token, tokenType: 'Bearer', expiresAt, user };
  }
}
