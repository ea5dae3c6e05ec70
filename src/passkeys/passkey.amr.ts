/**
 * The RFC 8176 methods a passkey sign-in records. "hwk" when the credential is bound to one device (its
 * private key cannot leave the authenticator), "swk" when it is backed up (BS flag: a synced passkey, whose
 * key a provider copies between devices). With user verification (UV flag: the authenticator checked a PIN
 * or biometric) the passkey is two factors in one, possession and knowledge or inherence: "mfa" is added,
 * which is what makes aal 2 here (tokens/access-claims.ts), as for a password with a TOTP code. Without UV
 * the passkey is one factor: aal 1, and an account with a second factor refuses it (passkey.service.ts).
 */
export function passkeyAmr(backedUp: boolean, userVerified: boolean): string[] {
  const key = backedUp ? 'swk' : 'hwk';
  return userVerified ? [key, 'mfa'] : [key];
}
