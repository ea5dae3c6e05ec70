import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * CORS for the origins CORS_ORIGINS lists, exactly, with credentials (the refresh cookie). Any other
 * origin gets no CORS headers, so its browser keeps the response from the page.
 */
export async function registerCors(fastify: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  await fastify.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'authorization', 'apollo-require-preflight', 'x-request-id', 'x-apollo-operation-name'],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });
}
