// The benchmark's knobs, read once from the environment (documented at the top of scripts/bench.ts).
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

// The server's V8 flags, from the one list `npm start` uses (plain JavaScript, so required with its type).
const { NODE_FLAGS } = require('../node-flags') as { NODE_FLAGS: readonly string[] };

export const ROOT = join(__dirname, '..', '..');
export const CORES = availableParallelism();
export const PASSWORD = 'correct horse battery staple';
export const USERS = 200;
/** In pinned mode: the core of a one-worker server, and the cores of this process (see settings.pin). */
export const SERVER_CORE = '0';
export const CLIENT_CORES = CORES > 2 ? `1-${CORES - 1}` : '1';

/** One operation of the mixed workload and its share of the requests, in percent. */
export type MixedOp = 'me' | 'refresh' | 'login' | 'logout';
export type Mix = Record<MixedOp, number>;

const env = process.env;

export const settings = {
  adminDatabaseUrl: env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
  duration: positiveInt('BENCH_DURATION', 5),
  rounds: positiveInt('BENCH_ROUNDS', 3),
  /** Trios of short bursts per round (bare framework ceiling, ceiling, me: see pairedBursts in scripts/bench.ts), and their seconds. */
  trios: positiveInt('BENCH_TRIOS', 2),
  burstSeconds: positiveInt('BENCH_BURST_SECONDS', 5),
  connections: positiveInt('BENCH_CONNECTIONS', 32),
  loginConnections: positiveInt('BENCH_LOGIN_CONNECTIONS', 8),
  /** `me` per second for the latency comparison with and without logins: well below saturation either way. */
  steadyRate: positiveInt('BENCH_STEADY_RATE', 500),
  revoked: positiveInt('BENCH_REVOKED', 1_000_000),
  /** The live channel: idle sockets held open, and users (20 sockets each) logged out one after another. */
  liveSockets: positiveInt('BENCH_LIVE_SOCKETS', 5_000),
  liveLogouts: positiveInt('BENCH_LIVE_LOGOUTS', 20),
  /** The sign-in flows' part (scripts/bench/flows.ts): operations of each kind per pass (passkey sign-ins: 5x). */
  flowOps: positiveInt('BENCH_FLOW_OPS', 100),
  /**
   * `live` runs the live channel's part alone, `flows` the sign-in flows' (docs/BENCHMARKS-FLOWS.md), `profile`
   * the profiles by layer (docs/PROFILE.md); `all` (default) everything but the profiles.
   */
  parts: parseParts(env.BENCH_PARTS),
  /** With BENCH_PARTS=profile: only these workloads (comma-separated names of PROFILE.md's sections), not written to docs. */
  profileWorkloads: env.BENCH_PROFILE_WORKLOADS ? env.BENCH_PROFILE_WORKLOADS.split(',').map((name) => name.trim()) : undefined,
  cost: positiveInt('BENCH_BCRYPT_COST', 10),
  mix: parseMix(env.BENCH_MIX ?? 'me:90,refresh:5,login:3,logout:2'),
  /** NODE_OPTIONS for the server only; by default the V8 flags `npm start` passes (scripts/node-flags.js). */
  serverNodeOptions: env.BENCH_SERVER_NODE_OPTIONS ?? NODE_FLAGS.join(' '),
  /**
   * Pinned mode (BENCH_PIN, default on with 2+ cores): a one-worker server (and the bare framework's) runs on
   * core 0 alone and this process, with autocannon, on the others, so that the load generator does not take
   * the server's core and CPU per request is the server's own. PostgreSQL is not pinned. BENCH_PIN=0: unpinned.
   */
  pin: CORES >= 2 && env.BENCH_PIN !== '0',
  /** BENCH_CPU_PROF=<folder>: each server writes a V8 CPU profile there when it stops (open it in Chrome DevTools). */
  cpuProfileDir: env.BENCH_CPU_PROF || undefined,
  // A random port, so that a leftover server from an aborted run does not answer for this one.
  port: 4100 + Math.floor(Math.random() * 800),
};

function parseParts(raw: string | undefined): 'all' | 'live' | 'flows' | 'profile' {
  if (raw === undefined || raw === '' || raw === 'all') return 'all';
  if (raw === 'live' || raw === 'flows' || raw === 'profile') return raw;
  throw new Error(`BENCH_PARTS must be live, flows or profile (got "${raw}")`);
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
    if (!Object.hasOwn(mix, op) || !/^\d+$/.test(share ?? ''))
      throw new Error(`BENCH_MIX: "${part}" is not op:percent with op one of ${Object.keys(mix).join(', ')}`);
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
