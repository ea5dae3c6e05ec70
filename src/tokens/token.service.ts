import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config } from '../config';
import { isUuid } from '../common/uuid';
import { AuthReason } from '../errors/codes';
import { unauthenticated } from '../errors/errors';
import { Role } from '../users/role';
import { assuranceLevel, type AccessClaims, type Assurance } from './access-claims';
import { loadSigningKeys, type SigningKeys } from './signing-keys';
import { VerifiedTokens } from './verified-tokens';

export interface IssuedToken {
  token: string;
  claims: AccessClaims;
  expiresAt: Date;
}

// RFC 8725 3.11 / RFC 9068: an explicit type, so no other JWT signed with the same key passes as an access token.
const ACCESS_TOKEN_TYPE = 'at+jwt';
// Far above any token we issue; longer input is rejected before it is parsed.
const MAX_TOKEN_LENGTH = 4096;
// How many verified tokens are remembered (~8 MB): more than the clients one instance serves at once.
const VERIFIED_TOKENS = 10_000;

/**
 * The only module that signs or verifies JWTs (RFC 8725): one algorithm per deployment, keys chosen by
 * `kid`, issuer, audience and required claims.
 */
export class TokenService {
  // KeyObjects, not strings: jsonwebtoken otherwise tries to parse a secret as a public key on every verify.
  readonly keys: SigningKeys;
  private readonly verified = new VerifiedTokens(VERIFIED_TOKENS);

  constructor(private readonly options: Config['jwt']) {
    this.keys = loadSigningKeys(options);
  }

  get clockToleranceSeconds(): number {
    return this.options.clockToleranceSeconds;
  }

  /** `assurance` defaults to a password sign-in at `now` (the session's own comes from SignInService). */
  issue(
    user: { id: string; role: Role },
    sessionId: string,
    now = Date.now(),
    assurance: Assurance = { amr: ['pwd'], authTime: new Date(now) },
  ): IssuedToken {
    const iat = Math.floor(now / 1000);
    const aal = assuranceLevel(assurance.amr);
    const claims: AccessClaims = {
      sub: user.id,
      sid: sessionId,
      jti: randomUUID(),
      iat,
      exp: iat + this.options.accessTokenTtlSeconds,
      role: user.role,
      amr: [...assurance.amr],
      aal,
      auth_time: Math.floor(assurance.authTime.getTime() / 1000),
    };
    const { algorithm, signing } = this.keys;
    // `acr` repeats the level as a string, for verifiers that read the OpenID Connect claim.
    const token = jwt.sign({ ...claims, acr: String(aal), iss: this.options.issuer, aud: this.options.audience }, signing.key, {
      algorithm,
      header: { alg: algorithm, typ: ACCESS_TOKEN_TYPE, kid: signing.kid },
    });
    return { token, claims, expiresAt: new Date(claims.exp * 1000) };
  }

  /**
   * Returns the claims of a valid token or throws UNAUTHENTICATED with TOKEN_INVALID or TOKEN_EXPIRED.
   * A token verified before is recognised by its exact text (VerifiedTokens) while its key is still
   * listed, and only its expiry is checked again. Revocation is not decided here: callers check it on
   * every request.
   */
  verify(token: string): AccessClaims {
    if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated(AuthReason.TOKEN_INVALID);
    let claims = this.verified.get(token, (kid) => this.keys.verifying.has(kid));
    if (!claims) {
      const checked = this.verifySignature(token);
      claims = checked.claims;
      this.verified.remember(token, checked.kid, claims);
    }
    // The same rule as jsonwebtoken's: expired from exp + tolerance on.
    if (Date.now() / 1000 >= claims.exp + this.options.clockToleranceSeconds) {
      this.verified.forget(token);
      throw unauthenticated(AuthReason.TOKEN_EXPIRED);
    }
    return claims;
  }

  /** Everything but expiry: the key by `kid`, algorithm, signature, issuer, audience, `typ` and claims. */
  private verifySignature(token: string): { kid: string; claims: AccessClaims } {
    // An unknown or missing kid is rejected before any verification or lookup (the payload is parsed once, by verify).
    const kid = headerKid(token);
    const key = kid === undefined ? undefined : this.keys.verifying.get(kid);
    if (kid === undefined || !key) throw unauthenticated(AuthReason.TOKEN_INVALID);
    let decoded: jwt.Jwt;
    try {
      decoded = jwt.verify(token, key, {
        algorithms: [this.keys.algorithm],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds,
        // Expiry is checked last, by verify, so that only an otherwise valid token is reported as expired.
        ignoreExpiration: true,
        complete: true,
      });
    } catch {
      throw unauthenticated(AuthReason.TOKEN_INVALID);
    }
    const claims = this.requireClaims(decoded);
    if (!claims) throw unauthenticated(AuthReason.TOKEN_INVALID);
    return { kid, claims };
  }

  private requireClaims({ header, payload }: jwt.Jwt): AccessClaims | undefined {
    if (typeof header.typ !== 'string' || header.typ.toLowerCase().replace(/^application\//, '') !== ACCESS_TOKEN_TYPE) {
      return undefined;
    }
    if (typeof payload !== 'object' || payload === null) return undefined;
    const { sub, sid, jti, iat, exp, role, amr, aal, auth_time } = payload as Record<string, unknown>;
    if (!isUuid(sub) || !isUuid(sid) || !isUuid(jti)) return undefined;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
    if (typeof iat !== 'number' || !Number.isFinite(iat)) return undefined;
    // Issued in the future: a clock problem or a forgery; either way not ours to trust.
    if (iat > Date.now() / 1000 + this.options.clockToleranceSeconds) return undefined;
    if (role !== Role.USER && role !== Role.ADMIN) return undefined;
    // A token from before issue 13 (an instance not yet upgraded) has no assurance claims: it reads as a
    // password sign-in at an unknown time, so it passes no step-up. Present claims must be well formed.
    const methods = amr === undefined ? ['pwd'] : amr;
    if (!Array.isArray(methods) || !methods.every((m) => typeof m === 'string')) return undefined;
    const level = assuranceLevel(methods as string[]);
    if (aal !== undefined && aal !== level) return undefined;
    const authTime = auth_time === undefined ? 0 : auth_time;
    if (typeof authTime !== 'number' || !Number.isFinite(authTime)) return undefined;
    // Shared by every request that presents this token (see verify): read-only.
    return Object.freeze({ sub, sid, jti, iat, exp, role, amr: Object.freeze([...(methods as string[])]), aal: level, auth_time: authTime });
  }
}

/** The `kid` of a compact JWS header, or undefined for anything that is not one. */
function headerKid(token: string): string | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    const kid = (header as { kid?: unknown } | null)?.kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}
