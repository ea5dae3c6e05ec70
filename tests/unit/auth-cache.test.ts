import { AuthCache, heapRoom } from '../../src/identity/auth-cache';
import type { UserRow } from '../../src/identity/viewer-row';

const user = (id: string): UserRow => ({
  id,
  email: `${id}@example.com`,
  email_verified_at: null,
  role: 'USER',
  created_at: '',
  updated_at: '',
  disabled_at: null,
});
const session = (userId: string) => ({ userId, expiresAt: Date.now() + 60_000 });

function trustedCache(maxEntries = 100) {
  let now = 1_000;
  const cache = new AuthCache(maxEntries, () => now);
  cache.resume(now + 2_000);
  return { cache, advance: (ms: number) => (now += ms) };
}

describe('AuthCache', () => {
  it('answers a token it was told about, for the same session and user only', () => {
    const { cache } = trustedCache();
    cache.store(cache.generation, 'j1', 's1', session('u1'), user('u1'));
    expect(cache.lookup('j1', 's1', 'u1')?.user.id).toBe('u1');
    expect(cache.lookup('j2', 's1', 'u1')).toBeUndefined();
    expect(cache.lookup('j1', 's1', 'u2')).toBeUndefined();
  });

  it.each([
    ['t:j1', 'the token is revoked'],
    ['s:s1', 'the session changes'],
    ['u:u1', 'the user changes'],
    ['?', 'an unknown notification arrives'],
  ])('forgets on %s (%s)', (payload) => {
    const { cache } = trustedCache();
    cache.store(cache.generation, 'j1', 's1', session('u1'), user('u1'));
    cache.invalidate(payload);
    expect(cache.lookup('j1', 's1', 'u1')).toBeUndefined();
  });

  it('drops a read that a notification overtook, so stale state is never stored', () => {
    const { cache } = trustedCache();
    const generation = cache.generation;
    cache.invalidate('s:s1'); // committed while the read was in flight
    cache.store(generation, 'j1', 's1', session('u1'), user('u1'));
    expect(cache.lookup('j1', 's1', 'u1')).toBeUndefined();
  });

  it('stops answering when its confirmation runs out, and starts empty when listening again', () => {
    const { cache, advance } = trustedCache();
    cache.store(cache.generation, 'j1', 's1', session('u1'), user('u1'));
    advance(2_001);
    expect(cache.lookup('j1', 's1', 'u1')).toBeUndefined();
    cache.store(cache.generation, 'j2', 's1', session('u1'), user('u1'));
    cache.resume(Date.now() + 1e12);
    expect(cache.size).toBe(0);
  });

  it('forgets everything when suspended', () => {
    const { cache } = trustedCache();
    cache.store(cache.generation, 'j1', 's1', session('u1'), user('u1'));
    cache.suspend();
    cache.confirm(Number.MAX_SAFE_INTEGER);
    expect(cache.lookup('j1', 's1', 'u1')).toBeUndefined();
  });

  it('stays within its bound, dropping the oldest first', () => {
    const { cache } = trustedCache(2);
    for (const n of [1, 2, 3]) cache.store(cache.generation, `j${n}`, `s${n}`, session(`u${n}`), user(`u${n}`));
    expect(cache.size).toBe(6);
    expect(cache.lookup('j1', 's1', 'u1')).toBeUndefined();
    expect(cache.lookup('j3', 's3', 'u3')).toBeDefined();
  });
});

describe('heapRoom', () => {
  const MB = 1024 * 1024;
  it('is fine while a full cache fits in half the heap limit, warns above half, refuses above the limit', () => {
    expect(heapRoom(100_000, 512 * MB)).toBeUndefined();
    const warning = heapRoom(200_000, 512 * MB);
    expect(warning).toEqual({
      fatal: false,
      message: expect.stringMatching(/^AUTH_CACHE_MAX_ENTRIES=200000 may hold up to 362 MB, more than half of this process's 512 MB heap limit/),
    });
    const fatal = heapRoom(1_000_000, 512 * MB);
    expect(fatal).toEqual({
      fatal: true,
      message: expect.stringMatching(
        /may hold up to 1812 MB, more than this process's 512 MB heap limit: lower it, or raise --max-old-space-size to at least 3624$/,
      ),
    });
  });
});
