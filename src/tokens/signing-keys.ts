import { createHash, createPrivateKey, createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ConfigError, JWT_SECRET_MIN_BYTES, type Config, type JwtAlgorithm } from '../config';

export interface SigningKeys {
  algorithm: JwtAlgorithm;
  /** The newest key: every new token is signed with it and names it in `kid`. */
  signing: { kid: string; key: KeyObject };
  /** Every listed key by `kid`; a token naming any other kid is rejected before anything else. */
  verifying: ReadonlyMap<string, KeyObject>;
  /** The public keys for /.well-known/jwks.json (none for HS256). */
  jwks: JsonWebKey[];
}

/** Turns the configured keys into KeyObjects once, at start-up, checking each fits the algorithm. */
export function loadSigningKeys({ algorithm, keys, secret }: Config['jwt']): SigningKeys {
  // Loading config leaves a development secret to start-up (ensureDevelopmentSecret): a caller that skipped
  // it must fail here, not sign with an empty key that anyone could sign with too.
  if (!keys) assertSecretResolved(secret);
  const entries = keys ?? [{ kid: createHash('sha256').update(secret).digest('base64url').slice(0, 12), secret }];
  const problems: string[] = [];
  const verifying = new Map<string, KeyObject>();
  const jwks: JsonWebKey[] = [];
  let signing: SigningKeys['signing'] | undefined;

  entries.forEach((entry, index) => {
    try {
      if (algorithm === 'HS256') {
        const key = createSecretKey(Buffer.from(entry.secret!, 'utf8'));
        verifying.set(entry.kid, key);
        if (index === 0) signing = { kid: entry.kid, key };
        return;
      }
      const privateKey = entry.privateKey ? createPrivateKey(entry.privateKey) : undefined;
      const publicKey = privateKey ? createPublicKey(privateKey) : createPublicKey(entry.publicKey!);
      assertFamily(algorithm, publicKey);
      verifying.set(entry.kid, publicKey);
      jwks.push({ ...publicKey.export({ format: 'jwk' }), kid: entry.kid, alg: algorithm, use: 'sig' });
      if (index === 0 && privateKey) signing = { kid: entry.kid, key: privateKey };
    } catch (error) {
      problems.push(`JWT_KEYS[${index}] (kid ${entry.kid}): ${(error as Error).message}`);
    }
  });
  if (problems.length > 0 || !signing) throw new ConfigError(problems.length ? problems : ['JWT_KEYS has no signing key']);
  return { algorithm, signing, verifying, jwks };
}

function assertFamily(algorithm: JwtAlgorithm, key: KeyObject): void {
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm === 'ES256' && (key.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1')) {
    throw new Error('ES256 needs an EC key on the P-256 curve');
  }
  if (algorithm === 'RS256' && (key.asymmetricKeyType !== 'rsa' || (details.modulusLength ?? 0) < 2048)) {
    throw new Error('RS256 needs an RSA key of at least 2048 bits');
  }
}

/** JWT_SECRET as start-up resolved it: never empty or short (the development secret is generated at start-up). */
export function assertSecretResolved(secret: string): void {
  if (Buffer.byteLength(secret, 'utf8') < JWT_SECRET_MIN_BYTES) {
    throw new Error('JWT_SECRET is not resolved: call ensureDevelopmentSecret(config) before building the services');
  }
}
