// BENCH_PARTS=profile: where each workload's server CPU goes, by layer, written to docs/PROFILE.md. Each
// workload gets a fresh server of its own, pinned like the others and profiled with V8's --cpu-prof; only
// the samples of the measured window count (not start-up, seeding or warm-up), and each layer's share of
// them is turned into µs per request with the CPU per request measured in the same window (/proc).
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedUsers, signInSessions } from './client';
import { runPhase, type Sample } from './measure';
import { startBareServer, startServer, stopServer, type Server } from './server';
import { CORES, ROOT, settings } from './settings';
import { ceilingLoad, loginLoad, meLoad, refreshLoad, type Load } from './workloads';

// Plain JavaScript, shared with the command line.
const { summarise, layerTable } = require('../profile-summary') as {
  summarise(file: string, from?: number, to?: number): { busy: number; layers: [string, number][] };
  layerTable(summary: { busy: number; layers: [string, number][] }, micros?: number): string;
};

const WARM_UP_SECONDS = 3;
const WARM_UPS = 3;

interface Profiled {
  workload: string;
  mainThreadOnly: boolean;
  sample: Sample;
  table: string;
}

export async function profilePart(databaseUrl: string, postgres: string): Promise<void> {
  // Seeded through a server that is not profiled: the profiled ones only serve their workload.
  const seeder = await startServer(databaseUrl, 1, settings.port, {}, undefined);
  const { emails, accessTokens } = await seedUsers(seeder.baseUrl);
  const sessions = await signInSessions(seeder.baseUrl, emails, settings.connections);
  await stopServer(seeder);
  const c = settings.connections;
  // [name, load, on the bare framework, main thread only]. A login's bcrypt runs on libuv's thread pool,
  // which V8's profiler does not sample: its table shows the main thread's shares, without µs.
  const workloads: [string, (server: Server) => Load, boolean, boolean][] = [
    ['bare framework ceiling', () => ceilingLoad('bare framework ceiling', c), true, false],
    ['ceiling', () => ceilingLoad('ceiling', c), false, false],
    ['me', () => meLoad('me', c, accessTokens), false, false],
    ['refresh', (server) => refreshLoad('refresh', server.baseUrl, sessions), false, false],
    ['login', () => loginLoad('login', c, emails), false, true],
  ];
  // BENCH_PROFILE_WORKLOADS=ceiling,refresh: those alone, printed and not written (a quick look while working).
  const only = settings.profileWorkloads;
  const results: Profiled[] = [];
  for (const [workload, load, bare, mainThreadOnly] of workloads) {
    if (only && !only.includes(workload)) continue;
    const folder = mkdtempSync(join(tmpdir(), 'gatehouse-profile-'));
    const server = bare ? await startBareServer(settings.port + 3, folder) : await startServer(databaseUrl, 1, settings.port, {}, folder);
    let window: [number, number];
    let sample: Sample;
    try {
      for (let i = 0; i < WARM_UPS; i++) await runPhase(server, 0, [load(server)], WARM_UP_SECONDS);
      const from = Number(process.hrtime.bigint() / 1000n);
      [sample] = await runPhase(server, 1, [load(server)], settings.duration * 2);
      window = [from, Number(process.hrtime.bigint() / 1000n)];
    } finally {
      await stopServer(server);
    }
    const [file] = readdirSync(folder).filter((name) => name.endsWith('.cpuprofile'));
    const summary = summarise(join(folder, file), ...window);
    results.push({ workload, sample, mainThreadOnly, table: layerTable(summary, mainThreadOnly ? undefined : sample.cpuMicrosPerRequest) });
  }
  const markdown = [
    '# Where the microseconds go (npm run bench, BENCH_PARTS=profile)',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, PostgreSQL ${postgres}, ${CORES} cores, ${settings.pin ? 'pinned (server on core 0)' : 'unpinned'}.`,
    '',
    `Each workload runs on a fresh server of its own (NODE_ENV=production, LOG_LEVEL=info, metrics on, as in docs/BENCHMARKS.md), profiled by V8 (\`--cpu-prof\`): ${WARM_UPS} warm-ups of ${WARM_UP_SECONDS} s, then ${settings.duration * 2} s measured with ${c} connections. Only the samples of the measured window count. A layer is the package (or Gatehouse folder) whose function was running: self time, not time spent in what it called. Its share of the busy samples times the server CPU per request (/proc, the same window) gives µs per request. The bare framework is scripts/bench/bare-server.js. To read one profile yourself: \`BENCH_CPU_PROF=<folder> npm run bench\` and \`node scripts/profile-summary.js <file> [µs per request]\`, or open the file in Chrome DevTools.`,
    '',
    ...results.flatMap(({ workload, sample, table, mainThreadOnly }) => [
      `## ${workload}: ${sample.cpuMicrosPerRequest.toFixed(0)} µs of server CPU per request, ${sample.requestsPerSecond.toFixed(0)} req/s`,
      '',
      ...(mainThreadOnly
        ? ['bcrypt runs on libuv’s thread pool, which the profile does not sample: these are the shares of the main thread’s work.', '']
        : []),
      table,
      '',
    ]),
  ];
  if (!only) writeFileSync(join(ROOT, 'docs', 'PROFILE.md'), markdown.join('\n'));
  console.log(markdown.join('\n'));
}
