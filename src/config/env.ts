// The environment readers every area of the configuration uses. None of them throws: each problem is
// collected in `problems`, so one start-up reports all of them at once (index.ts throws the ConfigError).

export type Env = Record<string, string | undefined>;

/** "points/duration", e.g. "20/1m": at most 20 in any minute-long window. */
export interface RateLimit {
  readonly points: number;
  readonly durationSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses "900", "900s", "15m", "1h", "7d" into seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([smhd])?\s*$/i.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[(match[2] ?? 's').toLowerCase()];
}

const parseRate = (text: string): RateLimit | undefined => {
  const match = /^(\d+)\s*\/\s*(.+)$/.exec(text);
  const durationSeconds = match ? parseDuration(match[2]) : undefined;
  return match && Number(match[1]) >= 1 && durationSeconds ? { points: Number(match[1]), durationSeconds } : undefined;
};

/** Typed reads of one environment; an invalid value is a problem and reads as its fallback. */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(readonly env: Env) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  /** Trimmed; unset or blank reads as `fallback`. */
  str(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? fallback : value.trim();
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.str(name, String(fallback));
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problem(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.str(name, String(fallback)).toLowerCase();
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    this.problem(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  /** In seconds; see parseDuration. */
  duration(name: string, fallback: string, minSeconds: number, maxSeconds: number): number {
    const raw = this.str(name, fallback);
    const seconds = parseDuration(raw);
    if (seconds === undefined || seconds < minSeconds || seconds > maxSeconds) {
      this.problem(`${name} must be a duration such as 900, 900s, 15m, 1h or 7d, from ${minSeconds}s to ${maxSeconds}s (got "${raw}")`);
      return parseDuration(fallback)!;
    }
    return seconds;
  }

  rate(name: string, fallback: string): RateLimit {
    const raw = this.str(name, fallback);
    const parsed = parseRate(raw);
    if (!parsed) this.problem(`${name} must look like 20/1m (attempts per duration) (got "${raw}")`);
    return parsed ?? parseRate(fallback)!;
  }
}

export function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
