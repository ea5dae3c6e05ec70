import type { EnvReader } from './env';

export interface WebAuthnConfig {
  readonly webauthn: {
    /** WEBAUTHN_RP_ID: the domain passkeys are bound to (the site's host or a parent domain of it). */
    readonly rpId: string;
    /** WEBAUTHN_RP_NAME: the name authenticators show next to the passkey. */
    readonly rpName: string;
    /** WEBAUTHN_ORIGINS: every origin (scheme://host[:port]) whose pages may use the passkeys. */
    readonly origins: readonly string[];
    /**
     * False in production until WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS are both set: every passkey operation
     * then answers PASSKEYS_UNAVAILABLE (as second factors do without ENCRYPTION_KEY), and nothing is guessed.
     */
    readonly enabled: boolean;
  };
}

// Development: the example web app and the explorer, on localhost or 127.0.0.1, at any port a developer is
// likely to use. Browsers treat both as secure contexts over plain http.
const DEVELOPMENT_PORTS = ['4000', '5173', '3000', '8080'];
const DEVELOPMENT_ORIGINS = DEVELOPMENT_PORTS.flatMap((port) => [`http://localhost:${port}`, `http://127.0.0.1:${port}`]);

/**
 * Passkeys are bound to an RP ID (a domain) and answered only from known origins: both are what makes a
 * passkey phishing-resistant, so production must name them to have passkeys at all (a wrong guess would
 * make every passkey unusable, or accept assertions made for another site).
 */
export function readWebAuthn(r: EnvReader, production: boolean): WebAuthnConfig {
  const rpIdRaw = r.env.WEBAUTHN_RP_ID?.trim();
  const originsRaw = r.env.WEBAUTHN_ORIGINS?.trim();
  // Production without them: passkeys are off rather than bound to a guessed domain. One without the other is a mistake.
  if (production && Boolean(rpIdRaw) !== Boolean(originsRaw))
    r.problem('WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS go together in production: set both, or neither (passkeys off)');
  const enabled = !production || (Boolean(rpIdRaw) && Boolean(originsRaw));
  const rpId = (rpIdRaw || 'localhost').toLowerCase();
  const rpIdValid = /^[a-z0-9.-]+$/.test(rpId) && !rpId.startsWith('.') && !rpId.endsWith('.');
  if (!rpIdValid) {
    r.problem(`WEBAUTHN_RP_ID must be a domain name without scheme or port, e.g. example.com (got "${rpIdRaw}")`);
  }
  const origins = originsRaw
    ? originsRaw
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
    : production
      ? []
      : DEVELOPMENT_ORIGINS;
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      r.problem(`WEBAUTHN_ORIGINS entry "${origin}" must be an origin like https://app.example.com (no path)`);
      continue;
    }
    if (production && parsed.protocol !== 'https:') r.problem(`WEBAUTHN_ORIGINS entry "${origin}" must use https in production`);
    // The RP ID must be the origin's host or a registrable parent of it (WebAuthn §5.1.3 step 8 / 7.1 step 9).
    const host = parsed.hostname;
    // Checked for the origins given (the development defaults go with the default RP ID), once the RP ID is a domain.
    if (originsRaw && rpIdValid && host !== rpId && !host.endsWith(`.${rpId}`)) {
      r.problem(`WEBAUTHN_ORIGINS entry "${origin}" is not on WEBAUTHN_RP_ID "${rpId}" or a subdomain of it`);
    }
  }
  return { webauthn: { rpId, rpName: r.str('WEBAUTHN_RP_NAME', 'Gatehouse'), origins, enabled } };
}
