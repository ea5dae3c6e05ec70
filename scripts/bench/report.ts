// Medians over rounds, the ratios the issue sets targets for, and the files: docs/BENCHMARKS.md and
// docs/benchmarks.json (raw samples).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BcryptSample, Sample } from './measure';
import { CLIENT_CORES, ROOT, SERVER_CORE, settings, shortCount, type Mix } from './settings';

const revokedTag = `${shortCount(settings.revoked)} revoked`;

/** Workload names, in the order of the tables and charts. */
export const W = {
  bare: 'bare framework ceiling',
  ceiling: 'ceiling',
  me: 'me',
  login: 'login',
  refresh: 'refresh',
  mixed: 'mixed',
  meUnderLogin: 'me (beside login load)',
  loginBesideMe: 'login (beside me)',
  meSteady: `me at ${settings.steadyRate}/s`,
  meSteadyUnderLogin: `me at ${settings.steadyRate}/s (beside login load)`,
  loginBesideSteady: `login (beside me at ${settings.steadyRate}/s)`,
  meNoneRevoked: 'me (no revoked rows, paired)',
  ceilingRevoked: `ceiling (${revokedTag})`,
  meRevoked: `me (${revokedTag})`,
  ceiling2: 'ceiling (2 workers)',
  me2: 'me (2 workers)',
};

export interface RunFacts {
  date: Date;
  postgres: string;
  /** UV_THREADPOOL_SIZE given to the server, by WORKERS. */
  threadPool: { oneWorker: number; twoWorkers: number };
  samples: Sample[];
  bcrypt: BcryptSample[];
  allCores: number;
}

interface Row {
  workload: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  cpuMicrosPerRequest: number;
  rssMb: number;
  rssTotalMb: number;
  loopLagMaxMs: number;
  errors: number;
  ops?: Record<string, number>;
}

interface Ratio {
  name: string;
  measured: number;
  /** For a paired ratio: each round's, of which `measured` is the median. */
  perRound?: { round: number; ratio: number }[];
  target?: { op: '>=' | '<='; value: number };
  digits?: number;
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[Math.floor(middle)];
}

function summarise(samples: Sample[], workload: string): Row {
  const rows = samples.filter((s) => s.workload === workload);
  const ops: Record<string, number> = {};
  for (const row of rows) for (const [op, n] of Object.entries(row.ops ?? {})) ops[op] = (ops[op] ?? 0) + n;
  return {
    workload,
    requestsPerSecond: median(rows.map((r) => r.requestsPerSecond)),
    p50: median(rows.map((r) => r.p50)),
    p99: median(rows.map((r) => r.p99)),
    cpuMicrosPerRequest: median(rows.map((r) => r.cpuMicrosPerRequest)),
    rssMb: Math.max(...rows.map((r) => r.rssMb)),
    rssTotalMb: Math.max(...rows.map((r) => r.rssTotalMb)),
    loopLagMaxMs: median(rows.flatMap((r) => (r.loopLagMaxMs === undefined ? [] : [r.loopLagMaxMs]))),
    errors: rows.reduce((sum, r) => sum + r.errors, 0),
    ...(rows.some((r) => r.ops) ? { ops } : {}),
  };
}

/**
 * `a` over `b` for workloads measured in the same rounds: the median of the per-round ratios, so that
 * what moves the whole machine between rounds (and it does, by a third) cancels out within each pair.
 */
function pairedRatio(
  samples: Sample[],
  a: string,
  b: string,
  field: 'requestsPerSecond' | 'p99' | 'cpuMicrosPerRequest',
): Pick<Ratio, 'measured' | 'perRound'> {
  const inRound = (workload: string, round: number) => samples.find((s) => s.workload === workload && s.round === round)?.[field];
  const rounds = [...new Set(samples.filter((s) => s.workload === a || s.workload === b).map((s) => s.round))].sort((x, y) => x - y);
  // A round either side lacks, or measured nothing, shows as n/a and stays out of the median.
  const perRound = rounds.map((round) => ({ round, ratio: (inRound(a, round) ?? NaN) / (inRound(b, round) ?? NaN) }));
  return { measured: median(perRound.map((r) => r.ratio).filter(Number.isFinite)), perRound };
}

/** A trio workload's samples (scripts/bench.ts, pairedBursts) as one per round: the median of that round's trios. */
function roundsOfTrios(samples: Sample[], workload: string): Sample[] {
  const byRound = new Map<number, Sample[]>();
  for (const sample of samples.filter((s) => s.workload === workload)) {
    const round = Math.ceil(sample.round / settings.trios);
    byRound.set(round, [...(byRound.get(round) ?? []), sample]);
  }
  return [...byRound].map(([round, trios]) => ({
    ...trios[0],
    round,
    p99: median(trios.map((s) => s.p99)),
    requestsPerSecond: median(trios.map((s) => s.requestsPerSecond)),
    cpuMicrosPerRequest: median(trios.map((s) => s.cpuMicrosPerRequest)),
  }));
}

const bcryptMedian = (facts: RunFacts, parallel: number, field: 'comparesPerSecond' | 'cpuMicrosPerCompare' = 'comparesPerSecond') =>
  median(facts.bcrypt.filter((b) => b.parallel === parallel).map((b) => b[field]));

function ratiosOf(rows: Record<string, Row>, facts: RunFacts): Ratio[] {
  const pool = facts.threadPool.oneWorker;
  const raw = bcryptMedian(facts, pool);
  const rawAll = bcryptMedian(facts, facts.allCores);
  const threads = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;
  const rawCpu = bcryptMedian(facts, pool, 'cpuMicrosPerCompare');
  return [
    {
      name: 'ceiling server CPU per request / the bare framework’s (Apollo Server + Fastify, `{ __typename }`, no plugins)',
      ...pairedRatio(facts.samples, W.ceiling, W.bare, 'cpuMicrosPerRequest'),
      target: { op: '<=', value: 1.3 },
    },
    {
      name: 'me req/s / the bare framework’s ceiling req/s',
      ...pairedRatio(facts.samples, W.me, W.bare, 'requestsPerSecond'),
      target: { op: '>=', value: 0.6 },
    },
    { name: 'context: me server CPU per request / the bare framework’s ceiling', ...pairedRatio(facts.samples, W.me, W.bare, 'cpuMicrosPerRequest') },
    {
      name: `login server CPU per login / raw bcrypt.compare CPU per compare (cost ${settings.cost}: ${(rawCpu / 1000).toFixed(1)} ms)`,
      measured: rows[W.login].cpuMicrosPerRequest / rawCpu,
      target: { op: '<=', value: 1.1 },
    },
    { name: 'refresh server CPU per refresh (ms)', measured: rows[W.refresh].cpuMicrosPerRequest / 1000, target: { op: '<=', value: 1.5 } },
    { name: 'me / ceiling', ...pairedRatio(facts.samples, W.me, W.ceiling, 'requestsPerSecond'), target: { op: '>=', value: 0.6 } },
    {
      name: `me with ${settings.revoked.toLocaleString('en')} revoked rows / me with none`,
      ...pairedRatio(facts.samples, W.meRevoked, W.meNoneRevoked, 'requestsPerSecond'),
      target: { op: '>=', value: 0.95 },
    },
    {
      name: `login / raw bcrypt.compare (cost ${settings.cost}, ${threads(pool)} like the server's pool: ${raw.toFixed(1)}/s)`,
      measured: rows[W.login].requestsPerSecond / raw,
      target: { op: '>=', value: 0.9 },
    },
    {
      name: `me p99 at ${settings.steadyRate}/s beside ${settings.loginConnections} login connections / me p99 at ${settings.steadyRate}/s alone`,
      ...pairedRatio(facts.samples, W.meSteadyUnderLogin, W.meSteady, 'p99'),
      target: { op: '<=', value: 3 },
    },
    {
      name: `context: p99 of me flat out beside ${settings.loginConnections} login connections / me flat out alone`,
      // `me` runs in trios (numbered on across rounds), the load beside logins once a round: paired by round.
      ...pairedRatio([...facts.samples.filter((s) => s.workload !== W.me), ...roundsOfTrios(facts.samples, W.me)], W.meUnderLogin, W.me, 'p99'),
    },
    {
      name: 'highest RSS of one server process, any workload (MB)',
      measured: Math.max(...Object.values(rows).map((r) => r.rssMb)),
      target: { op: '<=', value: 250 },
      digits: 0,
    },
    { name: 'me, 2 workers / 1 worker', measured: rows[W.me2].requestsPerSecond / rows[W.me].requestsPerSecond },
    {
      name: 'ceiling, 2 workers / 1 worker',
      measured: rows[W.ceiling2].requestsPerSecond / rows[W.ceiling].requestsPerSecond,
    },
    {
      name: `context: login / raw bcrypt.compare on all ${threads(facts.allCores)} (${rawAll.toFixed(1)}/s)`,
      measured: rows[W.login].requestsPerSecond / rawAll,
    },
  ];
}

const met = (r: Ratio) =>
  !r.target
    ? 'reported'
    : !Number.isFinite(r.measured)
      ? '**no data**'
      : (r.target.op === '>=' ? r.measured >= r.target.value : r.measured <= r.target.value)
        ? 'met'
        : '**not met**';

function tables(rows: Row[], ratios: Ratio[]): string[] {
  const n = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
  return [
    '| workload | req/s | p50 ms | p99 ms | server CPU µs/req | RSS MB, max per process | RSS MB, all processes | event-loop lag max ms | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${n(r.requestsPerSecond)} | ${r.p50} | ${r.p99} | ${n(r.cpuMicrosPerRequest)} | ${n(r.rssMb)} | ${n(r.rssTotalMb)} | ${n(r.loopLagMaxMs)} | ${r.errors} |`,
    ),
    '',
    '| ratio | measured | each round | target | |',
    '|---|---:|---|---:|---|',
    ...ratios.map(
      (r) =>
        `| ${r.name} | ${n(r.measured, r.digits ?? 2)} | ${r.perRound ? r.perRound.map((x) => `r${x.round} ${n(x.ratio, 2)}`).join(', ') : ''} | ${r.target ? `${r.target.op} ${r.target.value}` : '—'} | ${met(r)} |`,
    ),
  ];
}

/** Mermaid bar charts (GitHub renders `xychart-beta`): one value per workload. */
function chart(title: string, axis: string, rows: Row[], value: (r: Row) => number): string[] {
  const values = rows.map((r) => Math.round(value(r)));
  const top = Math.max(1, ...values.filter(Number.isFinite));
  const scale = 10 ** Math.floor(Math.log10(top));
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${title}"`,
    `  x-axis [${rows.map((r) => `"${r.workload}"`).join(', ')}]`,
    `  y-axis "${axis}" 0 --> ${Math.ceil(top / scale) * scale}`,
    `  bar [${values.map((v) => (Number.isFinite(v) ? v : 0)).join(', ')}]`,
    '```',
  ];
}

function mixLine(mix: Mix, observed?: Record<string, number>): string {
  const shares = Object.entries(mix)
    .map(([op, share]) => `${share}% ${op}`)
    .join(', ');
  const total = Object.values(observed ?? {}).reduce((sum, k) => sum + k, 0) || 1;
  const seen = Object.entries(observed ?? {})
    .map(([op, k]) => `${op} ${k} (${((100 * k) / total).toFixed(1)}%)`)
    .join(', ');
  return `mixed: each request is drawn as ${shares}; a connection whose session logged out logs in next, on top of those shares. Sent: ${seen}.`;
}

function warnings(rows: Row[]): string[] {
  return rows
    .filter((r) => r.errors > 0)
    .map((r) => `WARNING: ${r.workload} had ${r.errors} errors (see errorDetail in docs/benchmarks.json): its numbers time failures, not work.`);
}

const versionOf = (name: string): string => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;

function versions(): string {
  return ['@apollo/server', '@as-integrations/fastify', 'fastify', 'type-graphql', '@mikro-orm/core', 'jsonwebtoken', 'bcrypt', 'autocannon']
    .map((name) => `${name} ${versionOf(name)}`)
    .join(', ');
}

export function report(facts: RunFacts): void {
  const rows = Object.values(W).map((name) => summarise(facts.samples, name));
  const byName = Object.fromEntries(rows.map((r) => [r.workload, r]));
  const ratios = ratiosOf(byName, facts);
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}, PostgreSQL ${facts.postgres}`;
  const notes = [
    `- ${settings.rounds} round${settings.rounds === 1 ? '' : 's'} of ${settings.duration} s per workload, interleaved (round 1 of every workload, then round 2, ...); medians over rounds, RSS the highest seen (polled every 250 ms), errors summed. A ratio of two workloads measured in the same rounds (me / ceiling, the revoked rows, p99 beside logins) is the median of its per-round ratios, which are shown: what moves the whole machine between rounds cancels out within a round.`,
    `- ${W.bare}, ${W.ceiling} and ${W.me} are measured instead in ${settings.trios} trios of ${settings.burstSeconds}-s bursts per round, taken one after the other in alternating order (scripts/bench.ts, pairedBursts; the method of \`npm run bench:ab\`), and each trio counts as a round: their ratios are medians of ${settings.trios * settings.rounds} per-trio ratios (r1 to r${settings.trios * settings.rounds}), since this VM's speed moves by up to a third between one 5-s phase and the next.`,
    `- ${settings.connections} connections per workload; ${W.meUnderLogin}: ${settings.connections} \`me\` connections and ${settings.loginConnections} \`login\` connections at the same time, which keep the server's hashing threads busy. Its CPU per request is over both loads. ${W.meSteady} and ${W.meSteadyUnderLogin}: the same, with \`me\` sent at a steady ${settings.steadyRate} requests per second, evenly spaced and timed from when each was due (scripts/bench/paced.ts; autocannon's rates come in bursts), instead of as fast as answered, so that p99 measures what the logins do to a request, not how long the queue of ${settings.connections} connections is once a hashing thread holds one of the cores.`,
    `- bcrypt cost ${settings.cost}; the server gets UV_THREADPOOL_SIZE=${facts.threadPool.oneWorker} with WORKERS=1 and ${facts.threadPool.twoWorkers} with WORKERS=2 (\`threadPoolSize()\` of src/config.ts), and raw bcrypt is measured with as many compares in flight.`,
    `- The server runs with NODE_ENV=production, LOG_LEVEL=info (its access log is read and discarded), rate limits raised out of the way, ACCESS_TOKEN_TTL=1h (the seeded tokens outlive the run) and REFRESH_REUSE_GRACE=60s (see scripts/bench/server.ts), and NODE_OPTIONS=\`${settings.serverNodeOptions}\` (what \`npm start\` passes). Each server is warmed up for 18 s of ceiling and \`me\` before its first round, and the one-worker server also for 30 s of \`login\` and 3 s of \`refresh\` (the login path is called ~15 times a second, so V8 takes that long to compile it; before this warm-up, the first login round carried that compiling: ~3 ms per login on V8's background threads).`,
    '- On this VM absolute figures move by up to a third between runs and even between the rounds of one run, and two identical fresh processes can differ by a quarter: read one run as one sample, and rerun.',
    `- refresh: one session per connection, each answer's refresh token presented next (each works once); a failure counts as an error.`,
    `- ${mixLine(settings.mix, byName[W.mixed].ops)}`,
    `- ${W.meNoneRevoked} / ${W.meRevoked}: two fresh servers on two databases, one empty and one holding ${revokedTag} rows, seeded and warmed alike, measured like the trios: ${settings.trios} pairs of ${settings.burstSeconds}-s bursts per round, one after the other in swapped order from pair to pair, and the ratio is the median of the ${settings.trios * settings.rounds} per-pair ratios (with one 5-s phase per server and round, its per-round ratios ranged from 0.77 to 1.08 in one run). A token seen before is answered from the auth cache, so the rows are on the path of a cache miss only; ${W.ceilingRevoked} runs once per round on the second server. The 2-worker phases run last (a fresh server, WORKERS=2, on the first database) and compare with the 1-worker phases. Server CPU and RSS "all processes" sum the primary and its workers.`,
    settings.pin
      ? `- Pinned (BENCH_PIN, the default on 2+ cores): every one-worker server, Gatehouse's and the bare framework's, runs on core ${SERVER_CORE} alone; this process (autocannon, raw bcrypt) runs on core${CLIENT_CORES.includes('-') ? 's' : ''} ${CLIENT_CORES}. PostgreSQL is not pinned and takes from both. The 2-worker phases and raw bcrypt on all cores are unpinned: they share all ${cpus().length} cores with autocannon, which caps the 2-worker scaling. So are both steady-rate \`me\` phases (me at 500/s, alone and beside the login load): the server's thread pool leaves its event loop a core beside the hashing thread, which a server confined to one core would not have. \`BENCH_PIN=0\` gives the unpinned figures.`
      : `- Unpinned (BENCH_PIN=0): autocannon runs in the benchmark's process on the same ${cpus().length} cores as the server and PostgreSQL: it caps every number here, and the 2-worker scaling most of all.`,
    `- ${W.bare}: scripts/bench/bare-server.js, Apollo Server ${versionOf('@apollo/server')} on Fastify through @as-integrations/fastify, a one-field schema, Apollo's defaults and nothing else (no logger, no plugins of ours), answering \`{ __typename }\` like Gatehouse's ceiling; measured in the same trios of bursts as Gatehouse's ceiling and \`me\`, with the same connections and duration. The ratios against it are what Gatehouse's own per-request layer costs.`,
    `- Server CPU µs/req: CPU time (user + system, /proc) of the server processes from the start of a phase until the server is idle again, over the requests sent, so that the requests cut off at the end of a phase are billed to it and not to the next.`,
    `- Event-loop lag max ms: the longest delay of the server's event loop during the phase (prom-client's nodejs_eventloop_lag_max_seconds, read from /metrics before and after the loads; it samples every 10 ms, so an idle loop reads about 10), median over rounds; n/a with 2 workers, where a scrape reaches one worker of two.`,
    `- Errors are non-2xx answers, connection errors and timeouts, and 2xx answers without data or with GraphQL errors.`,
  ];
  const out = [...tables(rows, ratios), '', ...warnings(rows)];
  console.log(`\n${out.join('\n')}\n`);

  const docs = join(ROOT, 'docs');
  mkdirSync(docs, { recursive: true });
  const date = facts.date.toISOString();
  // Not the database URL: it may hold a password.
  const { adminDatabaseUrl: _url, port: _port, ...shown } = settings;
  const json = {
    date,
    machine,
    versions: versions(),
    settings: { ...shown, threadPool: facts.threadPool },
    summary: rows,
    ratios,
    samples: facts.samples,
    bcrypt: facts.bcrypt,
  };
  writeFileSync(join(docs, 'benchmarks.json'), `${JSON.stringify(json, null, 2)}\n`);
  const markdown = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${date.slice(0, 10)}.`,
    '',
    `- Machine: ${machine}.`,
    `- Versions: ${versions()}.`,
    ...notes,
    '',
    ...out,
    '',
    ...chart('Requests per second (median of rounds)', 'req/s', rows, (r) => r.requestsPerSecond),
    '',
    ...chart('p99 latency, ms (median of rounds)', 'ms', rows, (r) => r.p99),
    '',
    '## Where the microseconds go',
    '',
    '[PROFILE.md](PROFILE.md) (`BENCH_PARTS=profile npm run bench`) splits each workload’s server CPU per request by layer (Node’s HTTP and promises, Fastify, Apollo, graphql-js, the access log, metrics, the ORM, Gatehouse’s own folders), from V8 CPU profiles of the measured window, with the bare framework beside it.',
    '',
    '## Sign-in flows and the live channel',
    '',
    '[BENCHMARKS-FLOWS.md](BENCHMARKS-FLOWS.md) (`BENCH_PARTS=flows`) gives the server CPU of verifyMfa (TOTP), a passkey sign-in, requestPasswordReset and resetPassword; [BENCHMARKS-LIVE.md](BENCHMARKS-LIVE.md) (`BENCH_PARTS=live`) the live channel’s heap per socket and how fast a logout closes a user’s sockets. A full run writes both.',
    '',
    '## Rerun',
    '',
    '`npm run bench` builds, starts the server on a scratch database of the local PostgreSQL (BENCH_DATABASE_URL), and rewrites this file and [benchmarks.json](benchmarks.json) (every raw sample). Settings are environment variables, listed at the top of scripts/bench.ts; e.g. a quick check: `BENCH_DURATION=2 BENCH_ROUNDS=1 BENCH_REVOKED=20000 npm run bench`. Run it on a quiet machine: anything else on the cores moves every number.',
    '',
  ];
  writeFileSync(join(docs, 'BENCHMARKS.md'), markdown.join('\n'));
}
