import { generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ConfigError, loadConfig, type JwtKeyConfig } from '../../src/config';
import { RotationKey } from '../../src/sessions/refresh-token';
import { TokenService } from '../../src/tokens/token.service';
import { VerifiedTokens } from '../../src/tokens/verified-tokens';
import { Role } from '../../src/users/role';

const SECRET = 'Zq8vJ2mX4pLr7tYw1nB5cK9dF3gH6sA0';
const user = { id: randomUUID(), role: Role.USER };
const service = (env: Record<string, string>) => new TokenService(loadConfig({ JWT_SECRET: SECRET, ...env }).jwt);
const hsKeys = (...kids: string[]) => JSON.stringify(kids.map((kid) => ({ kid, secret: `${kid}-${SECRET}` })));

describe('HS256 key rotation', () => {
  it('signs with the newest key, verifies with any listed one, and drops retired ones', () => {
    const old = service({ JWT_KEYS: hsKeys('2026-10') }).issue(user, randomUUID()).token;
    const rotated = service({ JWT_KEYS: hsKeys('2026-11', '2026-10') });
    expect(rotated.verify(old).sub).toBe(user.id);
    const fresh = rotated.issue(user, randomUUID()).token;
    expect(jwt.decode(fresh, { complete: true })?.header).toMatchObject({ alg: 'HS256', kid: '2026-11', typ: 'at+jwt' });

    const retired = service({ JWT_KEYS: hsKeys('2026-11') });
    expect(retired.verify(fresh).sub).toBe(user.id);
    expect(() => retired.verify(old)).toThrow(expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' } }));
  });

  it('uses JWT_SECRET as the one key when JWT_KEYS is unset, with a kid that does not reveal it', () => {
    const tokens = service({});
    const { kid } = jwt.decode(tokens.issue(user, randomUUID()).token, { complete: true })!.header;
    expect(kid).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(SECRET).not.toContain(kid!);
  });
});

describe('asymmetric keys', () => {
  const pem = (type: 'ec' | 'rsa') => {
    const { privateKey, publicKey } =
      type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    };
  };

  it.each([
    ['ES256', 'ec'],
    ['RS256', 'rsa'],
  ] as const)('%s signs with the private key and publishes only public keys', (algorithm, type) => {
    const current = pem(type);
    const retired = pem(type);
    const keys: JwtKeyConfig[] = [
      { kid: 'new', privateKey: current.privateKey },
      { kid: 'old', publicKey: retired.publicKey },
    ];
    const tokens = service({ JWT_ALGORITHM: algorithm, JWT_KEYS: JSON.stringify(keys) });
    const token = tokens.issue(user, randomUUID()).token;
    expect(jwt.decode(token, { complete: true })?.header).toMatchObject({ alg: algorithm, kid: 'new' });
    expect(jwt.verify(token, current.publicKey, { algorithms: [algorithm] })).toMatchObject({ sub: user.id });
    expect(tokens.keys.jwks.map((k) => [k.kid, k.alg, k.use])).toEqual([
      ['new', algorithm, 'sig'],
      ['old', algorithm, 'sig'],
    ]);
    expect(JSON.stringify(tokens.keys.jwks)).not.toMatch(/"d":/);
  });

  it('never accepts an HS256 token signed with the public key (algorithm confusion)', () => {
    const current = pem('rsa');
    const tokens = service({ JWT_ALGORITHM: 'RS256', JWT_KEYS: JSON.stringify([{ kid: 'new', privateKey: current.privateKey }]) });
    const genuine = jwt.decode(tokens.issue(user, randomUUID()).token) as Record<string, unknown>;
    const forged = jwt.sign(genuine, current.publicKey, { algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt', kid: 'new' } });
    expect(() => tokens.verify(forged)).toThrow(expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' } }));
  });

  it('refuses keys of the wrong family, a missing signing key, and a bad JWT_KEYS', () => {
    const ec = pem('ec');
    expect(() => service({ JWT_ALGORITHM: 'RS256', JWT_KEYS: JSON.stringify([{ kid: 'a', privateKey: ec.privateKey }]) })).toThrow(/RSA key/);
    expect(() => service({ JWT_ALGORITHM: 'ES256', JWT_KEYS: JSON.stringify([{ kid: 'a', publicKey: ec.publicKey }]) })).toThrow(ConfigError);
    expect(() => service({ JWT_ALGORITHM: 'ES256' })).toThrow(/needs its keys/);
    expect(() => service({ JWT_KEYS: '[{"kid":"a","secret":"short"}]' })).toThrow(/at least 32 bytes/);
    expect(() => service({ JWT_KEYS: hsKeys('dup', 'dup') })).toThrow(/listed twice/);
  });
});

describe('tokens verified before', () => {
  afterEach(() => jest.restoreAllMocks());
  const invalid = expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' } });

  it('are still checked for expiry on every use', () => {
    const tokens = service({ ACCESS_TOKEN_TTL: '5m', JWT_CLOCK_TOLERANCE: '0' });
    const { token, claims } = tokens.issue(user, randomUUID());
    expect(tokens.verify(token)).toEqual(claims);
    expect(tokens.verify(token)).toEqual(claims);
    jest.spyOn(Date, 'now').mockReturnValue(claims.exp * 1000);
    for (let i = 0; i < 2; i++) {
      expect(() => tokens.verify(token)).toThrow(expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' } }));
    }
  });

  it('are recognised by their exact text only: a changed signature or payload fails as before', () => {
    const tokens = service({});
    const { token } = tokens.issue(user, randomUUID());
    tokens.verify(token);
    const [header, payload, signature] = token.split('.');
    const flipped = signature[0] === 'A' ? 'B' : 'A';
    expect(() => tokens.verify(`${header}.${payload}.${flipped}${signature.slice(1)}`)).toThrow(invalid);
    const forged = Buffer.from(JSON.stringify({ ...(jwt.decode(token) as object), role: Role.ADMIN })).toString('base64url');
    expect(() => tokens.verify(`${header}.${forged}.${signature}`)).toThrow(invalid);
    expect(() => tokens.verify(`${token} `)).toThrow(invalid);
  });

  it('are forgotten once the key that verified them is no longer listed, and only so many are kept', () => {
    const claims = service({}).issue(user, randomUUID()).claims;
    const memo = new VerifiedTokens(2);
    memo.remember('a', 'k1', claims);
    expect(memo.get('a', () => true)).toBe(claims);
    expect(memo.get('a', (kid) => kid !== 'k1')).toBeUndefined();
    expect(memo.get('a', () => true)).toBeUndefined();
    for (const token of ['b', 'c', 'd']) memo.remember(token, 'k1', claims);
    expect(['b', 'c', 'd'].map((token) => memo.get(token, () => true) !== undefined)).toEqual([false, true, true]);
  });

  it('share claims no caller can change', () => {
    const tokens = service({});
    const { token } = tokens.issue(user, randomUUID());
    const claims = tokens.verify(token);
    expect(Object.isFrozen(claims)).toBe(true);
    expect(tokens.verify(token).role).toBe(Role.USER);
  });
});

describe('a JWT_SECRET that start-up has not resolved', () => {
  // In development loadConfig leaves the secret to ensureDevelopmentSecret (it writes nothing itself).
  const unresolved = () => loadConfig({ DATA_DIR: `/tmp/gatehouse-unresolved-${randomUUID()}` }).jwt;

  it('is refused by the token service and the rotation key, instead of signing with an empty key', () => {
    expect(unresolved().secret).toBe('');
    expect(() => new TokenService(unresolved())).toThrow(/ensureDevelopmentSecret/);
    expect(() => new RotationKey(unresolved().secret)).toThrow(/ensureDevelopmentSecret/);
  });
});
