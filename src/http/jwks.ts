import type { FastifyInstance } from 'fastify';
import type { SigningKeys } from '../tokens/signing-keys';

/**
 * GET /.well-known/jwks.json: the public keys that verify access tokens (RFC 7517), so other services
 * can check them without any secret. Empty with HS256, whose key must stay secret.
 */
export function registerJwksRoute(fastify: FastifyInstance, keys: SigningKeys): void {
  const body = JSON.stringify({ keys: keys.jwks });
  fastify.get('/.well-known/jwks.json', async (_request, reply) =>
    reply.header('content-type', 'application/json').header('cache-control', 'public, max-age=300').send(body),
  );
}
