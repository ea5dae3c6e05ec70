import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createGatehouse, type Gatehouse } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { AUTH_OPERATIONS } from '../../src/config/operations';
import { createGatehouseClient } from '../../client';
import { closeWithFile } from './leftovers';
import { createTestDatabase } from './test-database';

export interface TestServer {
  gatehouse: Gatehouse;
  config: Config;
  /** The environment the server was configured from (for the CLI, or a second instance). */
  env: Record<string, string>;
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  graphqlUrl: string;
  /** The typed SDK, optionally signed in with `token`. */
  sdk(token?: string): ReturnType<typeof createGatehouseClient>;
  /** A raw GraphQL POST, for what the SDK cannot send (bad headers, bad bodies). */
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: GraphQLBody; headers: Headers }>;
  close(): Promise<void>;
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
}

/** A real server on a fresh database, listening on an ephemeral loopback port. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const serverEnv: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: randomBytes(48).toString('base64'),
    // Set, so no test server writes a development key into DATA_DIR.
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    BCRYPT_COST: '4',
    // Tests send everything from 127.0.0.1; limits are exercised in rate-limits.test.ts.
    ...Object.fromEntries(AUTH_OPERATIONS.map((op) => [op.limitVariable, '100000/1m'])),
    RATE_LIMIT_ACCOUNT_FAILURES: '1000/1m',
    RATE_LIMIT_ACCOUNT_LOCKOUT: '1000/1h',
    ...database.env,
    ...env,
  };
  let config: Config;
  let gatehouse: Gatehouse;
  let created: Gatehouse | undefined;
  try {
    config = loadConfig(serverEnv);
    gatehouse = created = await createGatehouse(config);
    await gatehouse.fastify.listen({ host: '127.0.0.1', port: 0 });
  } catch (error) {
    // A server that was created but could not listen still holds its pool and listener: close it too.
    await created?.close();
    await database.drop();
    throw error;
  }
  const { port } = gatehouse.fastify.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const graphqlUrl = `${baseUrl}/graphql`;
  return {
    gatehouse,
    config,
    env: serverEnv,
    baseUrl,
    graphqlUrl,
    sdk: (token) => createGatehouseClient({ url: graphqlUrl, getAccessToken: () => token }),
    async post(body, headers = {}) {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as GraphQLBody) : {}, headers: response.headers };
    },
    close: closeWithFile(async () => {
      await gatehouse.close();
      await database.drop();
    }),
  };
}

let counter = 0;
/** A unique email per call, so tests sharing a server never collide. */
export const uniqueEmail = (label = 'user'): string => `${label}-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}@example.com`;

export const PASSWORD = 'correct horse battery staple';
