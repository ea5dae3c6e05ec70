import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseDuration } from '../../src/config';
import { AUTH_FIELDS } from '../../src/graphql/auth-field-limit';
import { RATE_LIMIT_SETTINGS, perIpLimitKey } from '../../src/config/operations';

// src/config/operations.ts is the one list of auth operations; README's Security table is written by hand,
// so this checks it against the list: a new operation's limit cannot go undocumented.

const README_ROWS = readFileSync(join(__dirname, '../../README.md'), 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('|'));
const SPOKEN_UNIT: Record<string, string> = { s: 'a second', m: 'a minute', h: 'an hour', d: 'a day' };
/** "30/1m" as README says it: "30 a minute". */
const spoken = (limit: string) => {
  const [, points, unit] = /^(\d+)\/1([smhd])$/.exec(limit)!;
  return `${points} ${SPOKEN_UNIT[unit]}`;
};
const SECRET = 'Zq8vJ2mX4pLr7tYw1nB5cK9dF3gH6sA0';

describe('the auth operations list', () => {
  it.each(RATE_LIMIT_SETTINGS.map((setting) => [setting.limitVariable, setting.defaultLimit]))(
    "README's Security table has a row for %s with its default, %s",
    (variable, defaultLimit) => {
      const rows = README_ROWS.filter((row) => row.includes(`\`${variable}\``));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toContain(`| ${spoken(defaultLimit)} |`);
    },
  );

  it("README's auth-fields row names every auth field", () => {
    const row = README_ROWS.find((line) => line.includes('`AUTH_FIELDS_PER_OPERATION` |'));
    const named = [...(row ?? '').split('|')[1].matchAll(/`(\w+)`/g)].map((match) => match[1]);
    expect(named).toEqual([...AUTH_FIELDS]);
  });

  it('reads each limit, by its default, into Config.rateLimits in the order of the list', () => {
    const { rateLimits } = loadConfig({ JWT_SECRET: SECRET });
    const keys = RATE_LIMIT_SETTINGS.map((setting) => ('authField' in setting ? perIpLimitKey(setting.name) : setting.name));
    expect(Object.keys(rateLimits)).toEqual(keys);
    RATE_LIMIT_SETTINGS.forEach(({ defaultLimit }, index) => {
      const [points, duration] = defaultLimit.split('/');
      expect(rateLimits[keys[index]]).toEqual({ points: Number(points), durationSeconds: parseDuration(duration) });
    });
  });
});
