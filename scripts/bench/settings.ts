// The benchmark's knobs, read once from the environment (documented at the top of scripts/bench.ts).
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const CORES = availableParallelism();
export const PASSWORD = 'correct horse battery staple';
export const USERS = 200;

/** One operation of the mixed workload and its share of the requests, in percent. */
export type MixedOp = 'me' | 'refresh' | 'login' | 'logout';
export type Mix = Record<MixedOp, number>;

const env = process.env;

export const settings = {
  adminDatabaseUrl: env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
  duration: positiveInt('BENCH_DURATION', 5),
  rounds: positiveInt('BENCH_ROUNDS', 3),
  connections: positiveInt('BENCH_CONNECTIONS', 32),
  loginConnections: positiveInt('BENCH_LOGIN_CONNECTIONS', 8),
  /** `me` per second for the latency comparison with and without logins: well below saturation either way. */
  steadyRate: positiveInt('BENCH_STEADY_RATE', 500),
  revoked: positiveInt('BENCH_REVOKED', 1_000_000),
  cost: positiveInt('BENCH_BCRYPT_COST', 10),
  mix: parseMix(env.BENCH_MIX ?? 'me:90,refresh:5,login:3,logout:2'),
  /** NODE_OPTIONS for the server only; by default the V8 flags `npm start` passes (see startFlags). */
  serverNodeOptions: env.BENCH_SERVER_NODE_OPTIONS ?? startFlags(),
  // A random port, so that a leftover server from an aborted run does not answer for this one.
  port: 4100 + Math.floor(Math.random() * 800),
};

/**
 * The flags of `node` in package.json's start script, so the bench measures the server as it is run:
 * `--max-semi-space-size=4` (a 4 MB young-generation semi-space instead of 16 MB) and
 * `--max-old-space-size=512` (which also makes V8 collect the old generation before it grows to several
 * times its live size) keep RSS under load at about half of what the defaults reach, at the same throughput.
 */
function startFlags(): string {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const flags = /\bnode((?: --[\w-]+(?:=\S+)?)+) /.exec(scripts.start)?.[1];
  if (!flags) throw new Error(`no node flags found in the start script: ${scripts.start}`);
  return flags.trim();
}

function positiveInt(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number above 0 (got "${raw}")`);
  return value;
}

/** "me:90,refresh:5,login:3,logout:2": shares in percent, which must add up to 100. */
function parseMix(raw: string): Mix {
  const mix: Mix = { me: 0, refresh: 0, login: 0, logout: 0 };
  for (const part of raw.split(',')) {
    const [op, share] = part.split(':').map((s) => s.trim());
    if (!Object.hasOwn(mix, op) || !/^\d+$/.test(share ?? '')) throw new Error(`BENCH_MIX: "${part}" is not op:percent with op one of ${Object.keys(mix).join(', ')}`);
    mix[op as MixedOp] = Number(share);
  }
  const total = Object.values(mix).reduce((sum, share) => sum + share, 0);
  if (total !== 100) throw new Error(`BENCH_MIX must add up to 100 (got ${total})`);
  return mix;
}

/** 1000000 -> "1M", 20000 -> "20k": short enough for a workload name and a chart label. */
export function shortCount(n: number): string {
  if (n >= 1_000_000 && n % 100_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 100 === 0) return `${n / 1_000}k`;
  return String(n);
}
