import { ConfigError, loadConfig } from '../../src/config';

const SECRET = 'Zq8vJ2mX4pLr7tYw1nB5cK9dF3gH6sA0';
const production = { NODE_ENV: 'production', JWT_SECRET: SECRET, BCRYPT_COST: '12' };
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('recovery configuration', () => {
  it('has safe defaults: links to the web example outside production, 24h/30m/30m, nothing required', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).recovery).toEqual({
      appUrl: 'http://127.0.0.1:5173',
      verificationTtlSeconds: 86400,
      resetTtlSeconds: 1800,
      emailChangeTtlSeconds: 1800,
      requireVerifiedEmail: false,
      notifyNewSignIn: false,
    });
  });

  it('refuses REQUIRE_VERIFIED_EMAIL when mail is disabled (production without SMTP_URL): nobody could sign in', () => {
    expect(problems({ ...production, REQUIRE_VERIFIED_EMAIL: 'true' })).toEqual([expect.stringContaining('REQUIRE_VERIFIED_EMAIL=true needs mail')]);
    expect(
      problems({
        ...production,
        REQUIRE_VERIFIED_EMAIL: 'true',
        SMTP_URL: 'smtp://mail:587',
        MAIL_FROM: 'Acme <no-reply@acme.example>',
        APP_URL: 'https://app.example.com',
      }),
    ).toEqual([]);
    // Production without SMTP_URL otherwise starts, with mail disabled and no APP_URL needed.
    const loaded = loadConfig(production);
    expect(loaded.mail.enabled).toBe(false);
    expect(loaded.recovery.appUrl).toBeUndefined();
  });

  it('requires an https APP_URL in production when mail is enabled, and a clean one everywhere', () => {
    expect(problems({ ...production, SMTP_URL: 'smtp://mail:587', MAIL_FROM: 'Acme <no-reply@acme.example>' })).toEqual([
      expect.stringContaining('APP_URL is required in production'),
    ]);
    expect(
      problems({ ...production, SMTP_URL: 'smtp://mail:587', MAIL_FROM: 'Acme <no-reply@acme.example>', APP_URL: 'http://app.example.com' }),
    ).toEqual([expect.stringContaining('https')]);
    for (const bad of [
      'app.example.com',
      'ftp://app.example.com',
      'https://app.example.com/#x',
      'https://app.example.com/?a=1',
      'https://u:p@app.example.com',
    ]) {
      expect(problems({ JWT_SECRET: SECRET, APP_URL: bad })).toEqual([expect.stringContaining('APP_URL must be')]);
    }
    expect(loadConfig({ JWT_SECRET: SECRET, APP_URL: 'https://example.com/app/' }).recovery.appUrl).toBe('https://example.com/app');
  });

  it('bounds the link lifetimes', () => {
    expect(problems({ JWT_SECRET: SECRET, PASSWORD_RESET_TTL: '10s', EMAIL_CHANGE_TTL: '2d', EMAIL_VERIFICATION_TTL: '30d' })).toHaveLength(3);
    expect(loadConfig({ JWT_SECRET: SECRET, PASSWORD_RESET_TTL: '15m' }).recovery.resetTtlSeconds).toBe(900);
  });
});
