// npm run bench:cache-memory: the heap a full auth cache takes per token, the worst case (every token of a
// different user), which BYTES_PER_CACHED_TOKEN in src/identity/auth-cache.ts records. Runs in-process, no server.
import { randomUUID } from 'node:crypto';
import { AuthCache, BYTES_PER_CACHED_TOKEN } from '../src/identity/auth-cache';

const TOKENS = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:cache-memory does)');

const cache = new AuthCache(TOKENS);
cache.resume(Date.now() + 3_600_000);
gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < TOKENS; i++) {
  const userId = randomUUID();
  const now = new Date().toISOString();
  cache.store(
    cache.generation,
    randomUUID(),
    randomUUID(),
    { userId, expiresAt: Date.now() + 3_600_000 },
    {
      id: userId,
      email: `someone-${i}@example.com`,
      // Verified: the longer row, as the worst case.
      email_verified_at: now,
      role: 'USER',
      created_at: now,
      updated_at: now,
      disabled_at: null,
    },
  );
}
gc();
const perToken = (process.memoryUsage().heapUsed - before) / TOKENS;
console.log(
  `${cache.size} entries for ${TOKENS} tokens: ${Math.round(perToken)} bytes of heap per token (BYTES_PER_CACHED_TOKEN = ${BYTES_PER_CACHED_TOKEN})`,
);
