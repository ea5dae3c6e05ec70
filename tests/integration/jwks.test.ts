import { generateKeyPairSync } from 'node:crypto';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

// Another service verifies Gatehouse access tokens with nothing but the published JWKS.

let server: TestServer;
beforeAll(async () => {
  const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  server = await startTestServer({
    JWT_ALGORITHM: 'ES256',
    JWT_KEYS: JSON.stringify([
      { kid: 'current', privateKey: pem() },
      { kid: 'previous', privateKey: pem() },
    ]),
  });
});
afterAll(() => server?.close());

it('publishes the public keys with caching headers, and jose verifies a real access token with them', async () => {
  const response = await fetch(`${server.baseUrl}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('public, max-age=300');
  const { keys } = (await response.json()) as { keys: Record<string, string>[] };
  expect(keys.map((k) => [k.kid, k.kty, k.crv, k.alg])).toEqual([
    ['current', 'EC', 'P-256', 'ES256'],
    ['previous', 'EC', 'P-256', 'ES256'],
  ]);
  expect(keys.some((k) => 'd' in k)).toBe(false);

  const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
  const jose = await import('jose');
  const jwks = jose.createRemoteJWKSet(new URL(`${server.baseUrl}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jose.jwtVerify(register.accessToken, jwks, {
    issuer: 'gatehouse',
    audience: 'gatehouse',
    algorithms: ['ES256'],
    typ: 'at+jwt',
  });
  expect(protectedHeader.kid).toBe('current');
  expect(payload.sub).toBe(register.user.id);
  // The server itself accepts it too.
  expect((await server.sdk(register.accessToken).Me()).me.id).toBe(register.user.id);
});
