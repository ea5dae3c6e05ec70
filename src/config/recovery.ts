import type { EnvReader } from './env';

export interface RecoveryConfig {
  readonly recovery: {
    /**
     * The app that receives the links (`${appUrl}/reset-password#token=…`): http(s), no query, no
     * fragment, no trailing slash. Undefined only in production with mail disabled (no link is ever sent).
     */
    readonly appUrl: string | undefined;
    /** How long each kind of link works. */
    readonly verificationTtlSeconds: number;
    readonly resetTtlSeconds: number;
    readonly emailChangeTtlSeconds: number;
    /** login, refresh and register refuse an account whose address is not verified (EMAIL_NOT_VERIFIED). */
    readonly requireVerifiedEmail: boolean;
    /** Mail a notice when a sign-in comes from a device (user agent) the account has not used before. */
    readonly notifyNewSignIn: boolean;
  };
}

/** The examples/web dev server: where links point outside production unless APP_URL says otherwise. */
export const DEV_APP_URL = 'http://127.0.0.1:5173';

/** `mailEnabled`: whether mail can be sent at all (Config.mail.enabled: not in production without SMTP_URL). */
export function readRecovery(r: EnvReader, production: boolean, mailEnabled: boolean): RecoveryConfig {
  const requireVerifiedEmail = r.bool('REQUIRE_VERIFIED_EMAIL', false);
  // Nobody could ever sign in: every account would wait for a mail that cannot be sent.
  if (requireVerifiedEmail && !mailEnabled) r.problem('REQUIRE_VERIFIED_EMAIL=true needs mail: set SMTP_URL (production without it sends no mail)');
  return {
    recovery: {
      appUrl: readAppUrl(r, production, mailEnabled),
      verificationTtlSeconds: r.duration('EMAIL_VERIFICATION_TTL', '24h', 5 * 60, 7 * 86400),
      resetTtlSeconds: r.duration('PASSWORD_RESET_TTL', '30m', 5 * 60, 24 * 3600),
      emailChangeTtlSeconds: r.duration('EMAIL_CHANGE_TTL', '30m', 5 * 60, 24 * 3600),
      requireVerifiedEmail,
      notifyNewSignIn: r.bool('NOTIFY_NEW_SIGN_IN', false),
    },
  };
}

function readAppUrl(r: EnvReader, production: boolean, mailEnabled: boolean): string | undefined {
  const raw = r.str('APP_URL', '');
  if (!raw) {
    if (!production) return DEV_APP_URL;
    if (mailEnabled) r.problem('APP_URL is required in production when mail is enabled: the https:// address of the app that receives the links');
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // The token travels in the fragment the link adds: a URL with its own query or fragment would garble it.
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || raw.includes('#') || url.username || url.password) {
    r.problem(`APP_URL must be an http:// or https:// URL with no query, fragment or credentials (got "${raw}")`);
    return undefined;
  }
  // A link in a mail crosses the internet: in production it must not be readable or changeable on the way.
  if (production && url.protocol !== 'https:') r.problem(`APP_URL must be https:// in production (got "${raw}")`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
