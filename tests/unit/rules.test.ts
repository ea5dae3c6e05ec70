import { ConnectionException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { parseAuthorization } from '../../src/identity/bearer';
import pino from 'pino';
import { PASSWORD_MAX_LENGTH, PasswordPolicy } from '../../src/auth/password-policy';
import { PasswordHasher } from '../../src/auth/password-hasher';
import { isDatabaseUnavailable } from '../../src/db/driver-errors';
import { ipKey } from '../../src/limits/rate-limit.service';
import { parseEmail } from '../../src/users/email';

describe('parseAuthorization', () => {
  it.each([
    [undefined, { reason: 'TOKEN_MISSING' }],
    ['', { reason: 'TOKEN_MISSING' }],
    ['Bearer abc.def.ghi', { token: 'abc.def.ghi' }],
    ['bearer abc.def.ghi', { token: 'abc.def.ghi' }],
    ['Bearer  abc.def-_~+/=', { token: 'abc.def-_~+/=' }],
    ['Token abc', { reason: 'TOKEN_INVALID' }],
    ['Bearer a b', { reason: 'TOKEN_INVALID' }],
  ])('%j -> %j', (header, expected) => {
    expect(parseAuthorization(header)).toEqual(expected);
  });
});

describe('parseEmail', () => {
  it('trims and lower-cases before validating', () => {
    expect(parseEmail('  Alice@Example.COM \t')).toEqual({ ok: true, email: 'alice@example.com' });
  });
  it('folds compatibility forms (fullwidth letters) into one spelling with NFKC', () => {
    expect(parseEmail('ｖｉｃｔｉｍ@example.com')).toEqual({ ok: true, email: 'victim@example.com' });
  });
  it.each([
    '',
    'a@b',
    'a b@example.com',
    'a@example.com\u0000',
    `${'a'.repeat(250)}@x.io`,
    'victim\u200b@example.com',
    'victim\u00ad@example.com',
    'victim\u202e@example.com',
    'victim\ufeff@example.com',
  ])('rejects %j', (raw) => {
    expect(parseEmail(raw).ok).toBe(false);
  });
});

describe('password policy', () => {
  const policy = new PasswordPolicy({ minLength: 8, breachedApi: undefined, breachedTimeoutMs: 1000 }, pino({ level: 'silent' }));
  const check = (password: string, email = 'someone@example.com') => policy.assertAcceptable(password, email);

  it('counts code points after NFKC', async () => {
    await expect(check('😀'.repeat(8))).resolves.toBeUndefined();
    await expect(check('😀'.repeat(7))).rejects.toThrow(/at least 8/);
    // Eight "e" + combining acute pairs compose to eight code points.
    await expect(check('é'.normalize('NFD').repeat(8))).resolves.toBeUndefined();
    await expect(check('x'.repeat(PASSWORD_MAX_LENGTH))).resolves.toBeUndefined();
    await expect(check('x'.repeat(PASSWORD_MAX_LENGTH + 1))).rejects.toThrow(/at most 256/);
  });
  it('allows 256 code points that NFKC composes from many more UTF-16 units', async () => {
    // Hangul jamo L+V+T compose to one syllable: 768 units, 256 code points after NFKC.
    await expect(check('\u1100\u1161\u11a8'.repeat(256))).resolves.toBeUndefined();
  });
  it.each(['password', 'Password1', '12345678', 'iloveyou', 'qwertyuiop', 'ＰＡＳＳＷＯＲＤ'])('rejects the common password %j', async (p) => {
    await expect(check(p)).rejects.toThrow(/too common/);
  });
  it('rejects passwords containing the email or its local part, in any case', async () => {
    await expect(check('xx-Someone@Example.com-xx')).rejects.toThrow(/email/);
    await expect(check('my SOMEONE secret')).rejects.toThrow(/email/);
    await expect(check('my other secret')).resolves.toBeUndefined();
  });
  it('applies the configured minimum', async () => {
    const strict = new PasswordPolicy({ minLength: 12, breachedApi: undefined, breachedTimeoutMs: 1000 }, pino({ level: 'silent' }));
    await expect(strict.assertAcceptable('elevenchars', 'a@example.com')).rejects.toThrow(/at least 12/);
  });
});

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(4);
  it('tags the hash with its scheme and verifies it', async () => {
    const hash = await hasher.hash('correct horse');
    expect(hash).toMatch(/^bcrypt-sha256\$\$2b\$04\$/);
    await expect(hasher.verify('correct horse', hash)).resolves.toBe(true);
    await expect(hasher.verify('correct horsf', hash)).resolves.toBe(false);
  });
  it('lets every byte count, past bcrypt’s 72', async () => {
    const hash = await hasher.hash(`${'€'.repeat(30)}one`);
    await expect(hasher.verify(`${'€'.repeat(30)}two`, hash)).resolves.toBe(false);
  });
  it('asks for a rehash when the cost or the scheme differs', async () => {
    const current = await hasher.hash('correct horse');
    expect(hasher.needsRehash(current)).toBe(false);
    expect(hasher.needsRehash(await new PasswordHasher(5).hash('correct horse'))).toBe(true);
    expect(hasher.needsRehash(current.replace(/^bcrypt-sha256\$/, ''))).toBe(true);
  });
  it('refuses hashes of unknown schemes, such as a raw bcrypt hash', async () => {
    const raw = (await hasher.hash('correct horse')).replace(/^bcrypt-sha256\$/, '');
    await expect(hasher.verify('correct horse', raw)).resolves.toBe(false);
  });
});

describe('isDatabaseUnavailable', () => {
  const withCode = (code: string) => Object.assign(new Error('x'), { code });
  it.each([
    ['ECONNREFUSED', withCode('ECONNREFUSED')],
    ['SQLSTATE 08006', withCode('08006')],
    ['SQLSTATE 57P01', withCode('57P01')],
    ['a wrapped cause', new Error('outer', { cause: withCode('ECONNRESET') })],
    ['pg terminated', new Error('Connection terminated unexpectedly')],
    ['knex acquire timeout', new Error('Knex: Timeout acquiring a connection. The pool is probably full.')],
    ['MikroORM ConnectionException', new ConnectionException(new Error('x'))],
    ['a bare socket error thrown as a non-Error', Object.assign(new Error('Unexpected error value'), { thrownValue: { code: 'ECONNRESET' } })],
  ])('recognises %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });
  it.each([
    ['a unique violation', new UniqueConstraintViolationException(withCode('23505') as never)],
    ['a syntax error', withCode('42601')],
    ['a plain bug', new TypeError('undefined is not a function')],
    ['nothing', undefined],
  ])('does not mistake %s for an outage', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('ipKey', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002::ffff', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    [null, 'unknown'],
  ])('%s -> %s', (ip, key) => {
    expect(ipKey(ip)).toBe(key);
  });
});
