import { createHmac, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';
import { expectTokens } from '../helpers/factories';

// Forged, tampered and malformed tokens against a real server: each must fail with the exact reason.

let server: TestServer;
let user: { id: string; sid: string; token: string };
beforeAll(async () => {
  server = await startTestServer();
  const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
  user = { id: register.user.id, sid: (jwt.decode(register.accessToken) as { sid: string }).sid, token: register.accessToken };
});
afterAll(() => server?.close());

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** The claims a genuine token would carry, for the forgeries to start from. */
const claims = (overrides: Record<string, unknown> = {}) => ({
  sub: user.id,
  sid: user.sid,
  jti: randomUUID(),
  iat: now(),
  exp: now() + 600,
  iss: 'gatehouse',
  aud: 'gatehouse',
  role: 'USER',
  ...overrides,
});

/** Signs like the server does, but with whatever header, payload and secret the test wants. */
function sign(
  payload: Record<string, unknown>,
  { alg = 'HS256', secret = server.config.jwt.secret, typ = 'at+jwt', kid = server.gatehouse.services.tokens.keys.signing.kid as string | null } = {},
) {
  const head = `${b64({ alg, typ, ...(kid === null ? {} : { kid }) })}.${b64(payload)}`;
  const digest = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] ?? 'sha256';
  return `${head}.${createHmac(digest, secret).update(head).digest('base64url')}`;
}

const kid = () => server.gatehouse.services.tokens.keys.signing.kid;

const omit = (key: string) => {
  const rest: Record<string, unknown> = claims();
  delete rest[key];
  return rest;
};

async function meWith(authorization: string) {
  const response = await server.post({ query: '{ me { id } }' }, { authorization });
  expect(response.status).toBe(200);
  expect(response.body.data).toBeNull();
  return response.body.errors?.[0].extensions;
}

it('accepts the genuine token, and its own re-signing of genuine claims', async () => {
  expect((await server.post({ query: '{ me { id } }' }, { authorization: `Bearer ${user.token}` })).body.data).toEqual({
    me: { id: user.id },
  });
  expect((await server.sdk(sign(claims())).Me()).me.id).toBe(user.id);
});

const invalid: [string, () => string][] = [
  ['alg none', () => `${b64({ alg: 'none', typ: 'at+jwt', kid: kid() })}.${b64(claims())}.`],
  ['alg NONE', () => `${b64({ alg: 'NONE', typ: 'at+jwt', kid: kid() })}.${b64(claims())}.`],
  ['alg nOnE with a signature', () => `${b64({ alg: 'nOnE', typ: 'at+jwt', kid: kid() })}.${b64(claims())}.c2lnbmF0dXJl`],
  ['HS384 with the real secret', () => sign(claims(), { alg: 'HS384' })],
  ['HS512 with the real secret', () => sign(claims(), { alg: 'HS512' })],
  ['RS256 header over an HMAC', () => sign(claims(), { alg: 'RS256' })],
  ['the wrong secret', () => sign(claims(), { secret: 'x'.repeat(48) })],
  ['no exp', () => sign(omit('exp'))],
  ['no iat', () => sign(omit('iat'))],
  ['no jti', () => sign(omit('jti'))],
  ['no sub', () => sign(omit('sub'))],
  ['no sid', () => sign(omit('sid'))],
  ['an unknown session', () => sign(claims({ sid: randomUUID() }))],
  ['a non-uuid jti', () => sign(claims({ jti: 'abc' }))],
  ['a non-uuid sub', () => sign(claims({ sub: "1' or '1'='1" }))],
  ['a future nbf', () => sign(claims({ nbf: now() + 3600 }))],
  ['an iat in the future', () => sign(claims({ iat: now() + 3600, exp: now() + 7200 }))],
  ['the wrong issuer', () => sign(claims({ iss: 'someone-else' }))],
  ['the wrong audience', () => sign(claims({ aud: 'another-api' }))],
  ['another token type', () => sign(claims(), { typ: 'JWT' })],
  ['an unknown role', () => sign(claims({ role: 'ROOT' }))],
  ['no kid', () => sign(claims(), { kid: null })],
  ['an unknown kid', () => sign(claims(), { kid: 'someone-elses-key' })],
  ['an unknown user', () => sign(claims({ sub: randomUUID() }))],
  [
    'a tampered payload (role ADMIN, original signature)',
    () => {
      const [head, , signature] = user.token.split('.');
      return `${head}.${b64({ ...(jwt.decode(user.token) as object), role: 'ADMIN' })}.${signature}`;
    },
  ],
  [
    'a tampered payload (another user, original signature)',
    () => {
      const [head, , signature] = user.token.split('.');
      return `${head}.${b64({ ...(jwt.decode(user.token) as object), sub: randomUUID() })}.${signature}`;
    },
  ],
  ['an expired forgery', () => sign(claims({ iat: now() - 7200, exp: now() - 3600 }), { secret: 'y'.repeat(48) })],
  ['an expired token for another audience', () => sign(claims({ iat: now() - 7200, exp: now() - 3600, aud: 'another-api' }))],
  ['an expired token of another type', () => sign(claims({ iat: now() - 7200, exp: now() - 3600 }), { typ: 'JWT' })],
  ['an expired token with no jti', () => sign({ ...omit('jti'), iat: now() - 7200, exp: now() - 3600 })],
  ['a token of 5000 characters', () => `${user.token}${'A'.repeat(5000)}`],
  ['two dots only', () => '..'],
  ['random text', () => 'not-a-jwt'],
];

it.each(invalid)('rejects a token with %s as TOKEN_INVALID', async (_name, make) => {
  expect(await meWith(`Bearer ${make()}`)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
});

it('rejects a genuine but expired token as TOKEN_EXPIRED (beyond the clock tolerance)', async () => {
  const tolerance = server.config.jwt.clockToleranceSeconds;
  const expired = sign(claims({ iat: now() - 3600, exp: now() - tolerance - 2 }));
  expect(await meWith(`Bearer ${expired}`)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });
});

it('accepts a token that expired within the clock tolerance', async () => {
  const tolerance = server.config.jwt.clockToleranceSeconds;
  expect(tolerance).toBeGreaterThan(1);
  const justExpired = sign(claims({ iat: now() - 600, exp: now() - 1 }));
  expect((await server.sdk(justExpired).Me()).me.id).toBe(user.id);
});

const headers: [string, string, string][] = [
  ['an empty header', 'TOKEN_MISSING', ''],
  ['a blank header', 'TOKEN_MISSING', '   '],
  ['the Basic scheme', 'TOKEN_INVALID', 'Basic dXNlcjpwYXNz'],
  ['Bearer with no token', 'TOKEN_INVALID', 'Bearer'],
  ['Bearer and a space', 'TOKEN_INVALID', 'Bearer '],
  ['two tokens', 'TOKEN_INVALID', 'Bearer a.b.c d.e.f'],
  ['a token without a scheme', 'TOKEN_INVALID', 'eyJhbGciOiJIUzI1NiJ9.e30.abc'],
  ['a scheme glued to the token', 'TOKEN_INVALID', 'Bearereyabc'],
  ['characters outside b64token', 'TOKEN_INVALID', 'Bearer abc$%^'],
];

it.each(headers)('answers %s with %s', async (_name, reason, authorization) => {
  expect(await meWith(authorization)).toEqual({ code: 'UNAUTHENTICATED', reason });
});

it('matches the Bearer scheme case-insensitively', async () => {
  for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
    const response = await server.post({ query: '{ me { id } }' }, { authorization: `${scheme} ${user.token}` });
    expect(response.body).toEqual({ data: { me: { id: user.id } } });
  }
});

it('treats a token of a deleted user as TOKEN_INVALID', async () => {
  const { register } = await server.sdk().Register({ input: { email: uniqueEmail('gone'), password: PASSWORD } });
  await server.gatehouse.database.orm.em.fork().getConnection().execute('delete from users where id = ?', [register.user.id]);
  expect(await meWith(`Bearer ${register.accessToken}`)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
});

it('a revoked token stays revoked even re-signed with a later exp (revocation is by jti)', async () => {
  const login = expectTokens(
    (await server.sdk().Login({ input: { email: (await server.sdk(user.token).Me()).me.email, password: PASSWORD } })).login,
  );
  await server.sdk(login.accessToken).Logout();
  const original = jwt.decode(login.accessToken) as Record<string, unknown>;
  const extended = sign({ ...original, exp: now() + 3000 });
  expect(await meWith(`Bearer ${extended}`)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
});
