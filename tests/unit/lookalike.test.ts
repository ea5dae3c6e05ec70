import { emailSkeleton, highlyRestrictive, mixedScriptProblem, SCRIPTS } from '../../src/users/lookalike';

describe('emailSkeleton (UTS #39)', () => {
  it.each([
    ['a Cyrillic а inside a Latin name', 'pаypal@example.test', 'paypal@example.test'],
    ['a whole-script Cyrillic look-alike', 'реасе@example.test', 'peace@example.test'],
    ['digit one for letter l', 'paypa1@example.test', 'paypal@example.test'],
    ['rn for m', 'rnodern@example.test', 'modern@example.test'],
    ['a Punycode domain', 'user@xn--mnchen-3ya.de', 'user@münchen.de'],
    ['a Cyrillic а in a Punycode domain', 'paypal@xn--pypal-4ve.test', 'paypal@paypal.test'],
    ['a combining accent', 'jose\u0301@example.test', 'josé@example.test'],
  ])('maps %s to the same skeleton', (_name, lookalike, original) => {
    expect(emailSkeleton(lookalike)).toBe(emailSkeleton(original));
  });

  it.each([
    ['digit zero and letter o (zero looks like a capital O; addresses are lower-case)', 'g00gle@example.test', 'google@example.test'],
    ['another local part', 'alice@example.test', 'alicia@example.test'],
    ['another domain', 'alice@example.test', 'alice@example.org'],
    ['Greek and Latin words that do not look alike', 'σωκράτης@example.test', 'sokrates@example.test'],
  ])('keeps %s apart', (_name, a, b) => {
    expect(emailSkeleton(a)).not.toBe(emailSkeleton(b));
  });
});

describe('mixed scripts', () => {
  it.each([
    'pаypal@example.test', // Cyrillic а in a Latin local part
    'αlice@example.test', // Greek α
    'user@pаypal.test', // in a domain label
    'user@xn--pypal-4ve.test', // the same, in Punycode
  ])('refuses %s', (email) => {
    expect(mixedScriptProblem(email)).toMatch(/must not mix scripts/);
  });

  it.each([
    'paypal@example.test',
    'σωκράτης@example.test', // all Greek, Latin domain
    'иван.петров@example.test', // all Cyrillic, with Common punctuation
    'user@пример.рф', // an IDN domain
    'user@xn--mnchen-3ya.de',
    'müller-2@münchen.de', // Latin with digits and accents
    '山田たろう@example.jp', // Han with Hiragana
    'yamada山田@example.jp', // Latin with Han: Highly Restrictive allows it
    '김민준@example.kr',
  ])('accepts %s', (email) => {
    expect(mixedScriptProblem(email)).toBeUndefined();
  });

  it('refuses Latin with Cyrillic, Greek or Hangul with kana', () => {
    expect(highlyRestrictive('abcд')).toBe(false);
    expect(highlyRestrictive('민준たろう')).toBe(false);
  });

  it('knows the script of every assigned character this Node knows', () => {
    const known = new RegExp(`^[${SCRIPTS.map((s) => s.test.source.slice(1, -1)).join('')}\\p{scx=Common}\\p{scx=Inherited}]$`, 'u');
    const unknown: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const char = String.fromCodePoint(cp);
      if (!/\p{C}/u.test(char) && !known.test(char)) unknown.push(cp.toString(16));
    }
    expect(unknown).toEqual([]);
  });
});
