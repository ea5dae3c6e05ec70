import { ConfigError, loadConfig } from '../../src/config';

const SECRET = 'Zq8vJ2mX4pLr7tYw1nB5cK9dF3gH6sA0';
const production = { NODE_ENV: 'production', JWT_SECRET: SECRET, BCRYPT_COST: '12', DATABASE_URL: 'postgresql://db/gatehouse' };
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('passkey configuration', () => {
  it('defaults to localhost outside production', () => {
    const { webauthn } = loadConfig({ JWT_SECRET: SECRET });
    expect(webauthn).toMatchObject({ rpId: 'localhost', rpName: 'Gatehouse', enabled: true });
    expect(webauthn.origins).toContain('http://localhost:5173');
    expect(webauthn.origins).toContain('http://127.0.0.1:4000');
  });

  it('is off in production until both the RP ID and the origins are set, and refuses one without the other', () => {
    expect(loadConfig(production).webauthn).toMatchObject({ enabled: false, origins: [] });
    expect(problems({ ...production, WEBAUTHN_RP_ID: 'example.com' })).toEqual([
      expect.stringMatching(/^WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS go together/),
    ]);
    const on = loadConfig({ ...production, WEBAUTHN_RP_ID: 'Example.com', WEBAUTHN_ORIGINS: 'https://app.example.com, https://example.com' });
    expect(on.webauthn).toEqual({
      rpId: 'example.com',
      rpName: 'Gatehouse',
      origins: ['https://app.example.com', 'https://example.com'],
      enabled: true,
    });
  });

  it('refuses origins that are not origins, not https in production, or not on the RP ID', () => {
    expect(
      problems({
        ...production,
        WEBAUTHN_RP_ID: 'example.com',
        WEBAUTHN_ORIGINS: 'https://app.example.com/login,http://example.com,https://evil.example',
      }),
    ).toEqual([
      'WEBAUTHN_ORIGINS entry "https://app.example.com/login" must be an origin like https://app.example.com (no path)',
      'WEBAUTHN_ORIGINS entry "http://example.com" must use https in production',
      'WEBAUTHN_ORIGINS entry "https://evil.example" is not on WEBAUTHN_RP_ID "example.com" or a subdomain of it',
    ]);
    expect(problems({ JWT_SECRET: SECRET, WEBAUTHN_RP_ID: 'https://example.com' })).toEqual([
      'WEBAUTHN_RP_ID must be a domain name without scheme or port, e.g. example.com (got "https://example.com")',
    ]);
  });
});
