import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

// A downstream service that trusts Gatehouse access tokens through its JWKS (asymmetric JWT_ALGORITHM),
// and accepts only those of a sign-in with a second factor.
const gatehouse = new URL(process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:4000/graphql');
const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', gatehouse));

export async function requireSecondFactor(accessToken: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(accessToken, jwks, {
    issuer: 'gatehouse', // JWT_ISSUER
    audience: 'gatehouse', // JWT_AUDIENCE
    algorithms: ['ES256'], // JWT_ALGORITHM
    typ: 'at+jwt',
  });
  // aal 2: password and a second factor (amr lists them, e.g. ["pwd", "otp", "mfa"]); acr is "2" too.
  if (payload.aal !== 2) throw new Error(`second factor required (aal ${String(payload.aal)})`);
  return payload;
}

requireSecondFactor(process.env.ACCESS_TOKEN ?? '').then(
  (claims) => console.log(`aal 2: ${(claims.amr as string[]).join(' ')}`),
  (error: Error) => console.log(`refused: ${error.message}`),
);
