import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, REASONS } from '../../src/errors/codes';
import { composeTables, defineErrorCodes, defineReasons, type ErrorCodeTable } from '../../src/errors/define';

const codes = Object.values<ErrorCodeTable[string]>(ERROR_CODES);
const readmeErrors = () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Errors\n'), readme.indexOf('\n## ', readme.indexOf('\n## Errors\n') + 1));
  const rows = [...section.matchAll(/^\| `([A-Z_]+)` \|([^|]*)\|/gm)];
  return {
    codes: new Set(rows.map(([, code]) => code)),
    reasons: new Set(rows.flatMap(([, , extensions]) => [...extensions.matchAll(/reason: ([A-Z_]+)/g)].map(([, reason]) => reason))),
  };
};

describe('the table of error codes', () => {
  it('refuses a code or reason declared twice, at compile time and at start-up', () => {
    const a = defineErrorCodes({ NOT_FOUND: { message: 'a', status: 404 } });
    const b = defineErrorCodes({ NOT_FOUND: { message: 'b', status: 404 } });
    // @ts-expect-error NOT_FOUND is declared twice
    expect(() => composeTables(a, b)).toThrow('NOT_FOUND is declared twice');
    const r = defineReasons({ TOKEN_MISSING: { message: 'a' } });
    // @ts-expect-error TOKEN_MISSING is declared twice
    expect(() => composeTables(r, r)).toThrow('TOKEN_MISSING is declared twice');
  });

  it('gives every code its own name, an HTTP status and, unless GraphQL or Apollo raise it, a message', () => {
    for (const [name, spec] of Object.entries<ErrorCodeTable[string]>(ERROR_CODES)) {
      expect(spec.code).toBe(name);
      expect(Number.isInteger(spec.status) && spec.status >= 200 && spec.status < 600).toBe(true);
      if (!spec.passthrough) expect(spec.message).toEqual(expect.stringMatching(/^\S.*\.$/));
    }
  });

  it('gives every reason a message', () => {
    for (const [name, spec] of Object.entries(REASONS)) {
      expect(spec.reason).toBe(name);
      expect(spec.message).toEqual(expect.stringMatching(/^\S.*\.$/));
    }
  });

  it('refuses a request as a whole only with an error status, and sends Retry-After only then', () => {
    for (const spec of codes) {
      if (spec.refusesRequest) expect(spec.status).toBeGreaterThanOrEqual(400);
      if (spec.retryAfter) expect(spec.refusesRequest).toBe(true);
    }
  });

  it("is what README's Errors table lists: every code with our message, every reason", () => {
    const readme = readmeErrors();
    expect([...readme.codes].sort()).toEqual(
      codes
        .filter((spec) => spec.message !== undefined)
        .map((spec) => spec.code)
        .sort(),
    );
    expect([...readme.reasons].sort()).toEqual(Object.keys(REASONS).sort());
  });
});
