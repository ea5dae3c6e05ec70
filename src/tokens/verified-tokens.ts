import { setBounded } from '../common/bounded-map';
import type { AccessClaims } from './access-claims';

interface Entry {
  /** The key that verified the token: the entry is good only while that key is still listed. */
  kid: string;
  claims: AccessClaims;
}

/**
 * Access tokens verified before, by their exact text (a client presents one token until it expires), so
 * that TokenService checks a known token's expiry and key, not its signature, again. Bounded: the oldest
 * entry goes first. Only tokens that passed full verification get here.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly max: number) {}

  /** The claims of `token` if it was verified with a key `isListed` still accepts. */
  get(token: string, isListed: (kid: string) => boolean): AccessClaims | undefined {
    const entry = this.entries.get(token);
    if (entry && isListed(entry.kid)) return entry.claims;
    if (entry) this.entries.delete(token);
    return undefined;
  }

  remember(token: string, kid: string, claims: AccessClaims): void {
    setBounded(this.entries, token, { kid, claims }, this.max);
  }

  forget(token: string): void {
    this.entries.delete(token);
  }
}
