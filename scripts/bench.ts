// npm run bench: drives a real Gatehouse process with autocannon and prints ratios measured side by side
// in one run. Traffic goes to 127.0.0.1 only; every workload is bounded in time. The parts are in
// scripts/bench/: settings, server (process, /proc), client (GraphQL, seeding), workloads, measure, report.
//
//   BENCH_DATABASE_URL      PostgreSQL server to create a scratch database on (default the local `test` one)
//   BENCH_DURATION          seconds per workload per round (default 5)   BENCH_ROUNDS  rounds (default 3)
//   BENCH_TRIOS             trios of bursts per round for the bare framework, ceiling and me (default 2)
//   BENCH_BURST_SECONDS     seconds per burst of those trios (default 5)
//   BENCH_CONNECTIONS       concurrent connections (default 32)          BENCH_REVOKED revoked rows (default 1000000)
//   BENCH_BCRYPT_COST       bcrypt cost for the run (default 10)
//   BENCH_LOGIN_CONNECTIONS login connections run beside the `me` load to keep the hashing threads busy (default 8)
//   BENCH_STEADY_RATE       `me` per second for the p99 comparison with and without logins (default 500)
//   BENCH_MIX               the mixed workload, percent per operation (default me:90,refresh:5,login:3,logout:2)
//   BENCH_SERVER_NODE_OPTIONS  NODE_OPTIONS for the server processes only (default: the node flags of npm start)
//   BENCH_LIVE_SOCKETS      idle live sockets (default 5000; this process and each server hold one file each:
//                           keep it under `ulimit -n`)   BENCH_LIVE_LOGOUTS  users logged out ALL, 20 sockets each (default 20)
//   BENCH_PARTS=live        the live channel's part alone (written to docs/BENCHMARKS-LIVE.md)
//   BENCH_PARTS=flows       the sign-in flows' part alone: verifyMfa (TOTP), passkey sign-in, requestPasswordReset,
//                           resetPassword (written to docs/BENCHMARKS-FLOWS.md; scripts/bench/flows.ts)
//   BENCH_FLOW_OPS          operations of each kind per pass in that part (default 100; passkey sign-ins 5x)
//   BENCH_PARTS=profile     where each workload's server CPU goes, by layer, from V8 CPU profiles of the
//                           measured window alone (written to docs/PROFILE.md; scripts/bench/profile.ts)
//   BENCH_PROFILE_WORKLOADS=ceiling,refresh  with BENCH_PARTS=profile: those workloads only, printed, not written
//   BENCH_PIN=0             unpinned: by default (2+ cores) a one-worker server runs on core 0 alone and this
//                           process (autocannon) on the others; the 2-worker phases and the two steady-rate
//                           `me` phases (p99 alone and beside logins) are never pinned
//   BENCH_CPU_PROF=<folder> every server writes a V8 CPU profile (.cpuprofile) there when it stops
// To compare two builds (or V8 flags) side by side in interleaved bursts, see scripts/bench-ab.js (npm run bench:ab).
//
// Phases, on one server (WORKERS=1) unless said: each round runs BENCH_TRIOS trios of bursts of the
// bare framework's ceiling (Apollo Server + Fastify, `{ __typename }`, no plugins: scripts/bench/bare-server.js),
// ceiling and me (pairedBursts, below), then login, raw bcrypt (as many
// compares in flight as the server's thread pool, then as many as cores), refresh, mixed, me beside a
// login load, and me at a steady rate alone and beside a login load; then two fresh servers, on an empty
// database and on one holding BENCH_REVOKED revoked rows, run `me` alternately each round (and ceiling on
// the second); then the first server restarts with WORKERS=2 and each round runs ceiling and me once more.
// With the defaults: 54 durations of 5 s, about 4 minutes of build, seeding, warm-ups and waits, and ~20 s
// for the 1M-row insert: 9-10 minutes on 2 cores.
import { threadPoolSize } from '../src/config';
import { seedUsers, signInSessions, type Session } from './bench/client';
import { rawBcryptRate, runPhase, type BcryptSample, type Sample } from './bench/measure';
import { report, W } from './bench/report';
import { query, startBareServer, startServer, stopServer, type Server } from './bench/server';
import { CLIENT_CORES, CORES, SERVER_CORE, settings } from './bench/settings';
import { ceilingLoad, loginLoad, meLoad, mixedLoad, refreshLoad, steadyMeLoad, type Load } from './bench/workloads';
import { flowsBench, flowsReport, passkeyAccounts } from './bench/flows';
import { liveBench, liveReport, type LiveResult } from './bench/live';
import { profilePart } from './bench/profile';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Raw bcrypt on every core needs that many threads in this process; libuv reads this on the pool's first use.
process.env.UV_THREADPOOL_SIZE = String(Math.max(4, CORES));

// V8 keeps optimising the hot paths for the first ~15 s of load (measured: `me` climbs by a third over
// three 5 s runs); those seconds belong to no round.
const WARM_UP_SECONDS = 3;
const WARM_UP_CYCLES = 3;
// The same holds for the login and refresh paths, which ceiling and `me` do not run. A login takes
// ~60 ms of hashing, so its path is called ~15 times a second and V8 takes ~30 s of logins to finish
// compiling it (measured: CPU per login other than bcrypt's, all threads, after 3 s of logins 12 ms,
// after 30 s 4-8 ms, of which V8's background compiler ~3 ms at 3 s). Those seconds belong to no round either.
const LOGIN_WARM_UP_SECONDS = 30;

interface Seeded {
  emails: string[];
  accessTokens: string[];
  refreshSessions: Session[];
  mixedSessions: Session[];
}

async function main(): Promise<void> {
  const dbName = `gatehouse_bench_${Date.now()}`;
  const adminUrl = settings.adminDatabaseUrl;
  const databaseUrl = await createDatabase(adminUrl, dbName);
  const samples: Sample[] = [];
  const bcrypt: BcryptSample[] = [];
  let server: Server | undefined;
  let bare: Server | undefined;
  // Every thread of this process (autocannon, the raw bcrypt pool) off the server's core.
  pinSelf(CLIENT_CORES);
  try {
    const postgres = (await query<{ server_version: string }>(adminUrl, 'show server_version'))[0].server_version;
    if (settings.parts === 'live') return await livePart(adminUrl, dbName, postgres);
    if (settings.parts === 'flows') return await flowsPart(adminUrl, dbName, postgres);
    if (settings.parts === 'profile') return await profilePart(databaseUrl, postgres);
    server = await startServer(databaseUrl, 1);
    const framework = await startBareServer(settings.port + 3);
    bare = framework;
    const seeded = await seed(server);
    await warmUp(server, seeded);
    await runPhase(server, 0, [loginLoad('warm-up login', settings.connections, seeded.emails)], LOGIN_WARM_UP_SECONDS);
    await runPhase(server, 0, [refreshLoad('warm-up refresh', server.baseUrl, seeded.refreshSessions)], WARM_UP_SECONDS);
    for (let cycle = 0; cycle < WARM_UP_CYCLES * 2; cycle++) {
      await runPhase(framework, 0, [ceilingLoad('warm-up bare', settings.connections)], WARM_UP_SECONDS);
    }
    for (let round = 1; round <= settings.rounds; round++) {
      samples.push(...(await pairedBursts(framework, server, round, seeded)));
      samples.push(...(await oneWorkerRound(server, round, seeded, bcrypt)));
    }
    await stopServer(framework);
    bare = undefined;

    samples.push(...(await revokedRowsPhase(adminUrl, dbName)));

    await stopServer(server);
    // The 2-worker phases are not pinned: the workers and autocannon share every core.
    pinSelf(ALL_CORES);
    server = await startServer(databaseUrl, 2);
    await warmUp(server, seeded);
    for (let round = 1; round <= settings.rounds; round++) {
      samples.push(...(await runPhase(server, round, [ceilingLoad(W.ceiling2, settings.connections)])));
      samples.push(...(await runPhase(server, round, [meLoad(W.me2, settings.connections, seeded.accessTokens)])));
    }

    await stopServer(server);
    server = undefined;
    await livePart(adminUrl, dbName, postgres);
    await flowsPart(adminUrl, dbName, postgres);

    report({
      date: new Date(),
      postgres,
      threadPool: { oneWorker: threadPoolSize(1), twoWorkers: threadPoolSize(2) },
      samples,
      bcrypt,
      allCores: CORES,
    });
  } finally {
    if (server) await stopServer(server);
    if (bare) await stopServer(bare);
    for (const name of [dbName, `${dbName}_none`, `${dbName}_revoked`, `${dbName}_live1`, `${dbName}_live3`, `${dbName}_flows`])
      await query(adminUrl, `drop database if exists "${name}" with (force)`);
  }
}

const ALL_CORES = `0-${CORES - 1}`;

/** In pinned mode, moves every thread of this process to `cores` (taskset's list form). */
function pinSelf(cores: string): void {
  if (settings.pin) execFileSync('taskset', ['-a', '-cp', cores, String(process.pid)], { stdio: 'ignore' });
}

/** Users for `me` and `login`, and one session per connection for each of the workloads that use sessions up. */
async function seed(server: Server): Promise<Seeded> {
  const { emails, accessTokens } = await seedUsers(server.baseUrl);
  const refreshSessions = await signInSessions(server.baseUrl, emails, settings.connections);
  const mixedSessions = await signInSessions(server.baseUrl, emails, settings.connections);
  return { emails, accessTokens, refreshSessions, mixedSessions };
}

/** A fresh process runs its first seconds unoptimised; those seconds belong to no round. */
async function warmUp(server: Server, seeded: Seeded): Promise<void> {
  for (let cycle = 0; cycle < WARM_UP_CYCLES; cycle++) {
    await runPhase(server, 0, [ceilingLoad('warm-up ceiling', settings.connections)], WARM_UP_SECONDS);
    await runPhase(server, 0, [meLoad('warm-up me', settings.connections, seeded.accessTokens)], WARM_UP_SECONDS);
  }
}

/**
 * The workloads whose ratios to the bare framework are targets (ceiling CPU, `me` req/s): the bare
 * framework's ceiling, Gatehouse's ceiling and `me`, in bursts of BENCH_BURST_SECONDS taken one after the
 * other, BENCH_TRIOS trios a round, in alternating order. Each trio counts as a round of its own (numbered
 * on across rounds), so each ratio is the median of per-trio ratios: on this VM the whole machine's speed
 * moves by a third from one 5-s phase to the next (BENCHMARKS.md showed the bare framework faster than
 * Gatehouse in one round), and a trio's bursts are seconds apart. The method of npm run bench:ab, with
 * bursts of the usual 5 s: in 2-s bursts (the first version) the bare framework measured 56-68 us per
 * request where 5-s phases gave it 84-95, and Gatehouse's ceiling did not move as much; why is not
 * established, but a ratio that depends on the burst length is a bias, not noise.
 */
async function pairedBursts(framework: Server, server: Server, round: number, seeded: Seeded): Promise<Sample[]> {
  const c = settings.connections;
  const samples: Sample[] = [];
  for (let k = 0; k < settings.trios; k++) {
    const trio = (round - 1) * settings.trios + k + 1;
    const bursts: [Server, Load][] = [
      [framework, ceilingLoad(W.bare, c)],
      [server, ceilingLoad(W.ceiling, c)],
      [server, meLoad(W.me, c, seeded.accessTokens)],
    ];
    for (const [target, load] of trio % 2 === 1 ? bursts : [...bursts].reverse()) {
      samples.push(...(await runPhase(target, trio, [load], settings.burstSeconds)));
    }
  }
  return samples;
}

async function oneWorkerRound(server: Server, round: number, seeded: Seeded, bcrypt: BcryptSample[]): Promise<Sample[]> {
  const c = settings.connections;
  const samples = [...(await runPhase(server, round, [loginLoad(W.login, c, seeded.emails)]))];
  // Right after login, on the same otherwise idle machine, at the same cost and thread count.
  bcrypt.push(await rawBcryptRate(round, server.threadPoolSize));
  // On every core, as its name says, while the server is idle; then back off the server's core.
  pinSelf(ALL_CORES);
  bcrypt.push(await rawBcryptRate(round, CORES));
  pinSelf(CLIENT_CORES);
  samples.push(
    ...(await runPhase(server, round, [refreshLoad(W.refresh, server.baseUrl, seeded.refreshSessions)])),
    ...(await runPhase(server, round, [mixedLoad(W.mixed, server.baseUrl, seeded.mixedSessions, settings.mix)])),
    ...(await runPhase(server, round, [
      meLoad(W.meUnderLogin, c, seeded.accessTokens),
      loginLoad(W.loginBesideMe, settings.loginConnections, seeded.emails),
    ])),
  );
  // Latency is compared at one steady rate: flat out, p99 is mostly the queue of 32 connections, and
  // it grows with whatever takes CPU away (the hashing thread holds one of the cores), loop or not.
  // Both steady phases run unpinned: UV_THREADPOOL_SIZE leaves the event loop a core beside the hashing
  // thread, which a server confined to one core does not have (its loop and its hashing thread would
  // take turns on it, and p99 would measure the scheduler's time slices).
  pinServer(server, ALL_CORES);
  pinSelf(ALL_CORES);
  try {
    samples.push(
      ...(await runPhase(server, round, [steadyMeLoad(W.meSteady, c, seeded.accessTokens, settings.steadyRate)])),
      ...(await runPhase(server, round, [
        steadyMeLoad(W.meSteadyUnderLogin, c, seeded.accessTokens, settings.steadyRate),
        loginLoad(W.loginBesideSteady, settings.loginConnections, seeded.emails),
      ])),
    );
  } finally {
    pinServer(server, SERVER_CORE);
    pinSelf(CLIENT_CORES);
  }
  return samples;
}

/** In pinned mode, moves every thread of the server's processes to `cores`. */
function pinServer(server: Server, cores: string): void {
  if (!settings.pin) return;
  for (const pid of server.pids()) execFileSync('taskset', ['-a', '-cp', cores, String(pid)], { stdio: 'ignore' });
}

/**
 * `me` with and without the revoked rows, on two servers that are alike in everything else: both fresh,
 * seeded and warmed the same way, measured in pairs of short bursts (settings.trios pairs per round, of
 * settings.burstSeconds each, one after the other in swapped order from pair to pair), so that neither the
 * age of a process nor drift over time takes a side, and the ratio is a median of as many per-pair ratios as
 * the ceiling's (pairedBursts). With one 5-s phase per server and round, its three per-round ratios ranged
 * from 0.77 to 1.08 in one run: the VM's speed moves that much between phases seconds apart.
 */
async function revokedRowsPhase(adminUrl: string, dbName: string): Promise<Sample[]> {
  const noneUrl = await createDatabase(adminUrl, `${dbName}_none`);
  const revokedUrl = await createDatabase(adminUrl, `${dbName}_revoked`);
  const servers = [await startServer(noneUrl, 1, settings.port + 1), await startServer(revokedUrl, 1, settings.port + 2)];
  try {
    await insertRevoked(revokedUrl);
    const [none, revoked] = await Promise.all(servers.map(async (server) => ({ server, tokens: (await seedUsers(server.baseUrl)).accessTokens })));
    for (let cycle = 0; cycle < WARM_UP_CYCLES; cycle++) {
      for (const { server, tokens } of [none, revoked]) {
        await runPhase(server, 0, [ceilingLoad('warm-up ceiling', settings.connections)], WARM_UP_SECONDS);
        await runPhase(server, 0, [meLoad('warm-up me', settings.connections, tokens)], WARM_UP_SECONDS);
      }
    }
    const samples: Sample[] = [];
    const me = [
      { ...none, workload: W.meNoneRevoked },
      { ...revoked, workload: W.meRevoked },
    ];
    for (let round = 1; round <= settings.rounds; round++) {
      for (let k = 0; k < settings.trios; k++) {
        const pair = (round - 1) * settings.trios + k + 1;
        for (const { server, tokens, workload } of pair % 2 === 1 ? me : [...me].reverse()) {
          samples.push(...(await runPhase(server, pair, [meLoad(workload, settings.connections, tokens)], settings.burstSeconds)));
        }
      }
      samples.push(...(await runPhase(revoked.server, round, [ceilingLoad(W.ceilingRevoked, settings.connections)])));
    }
    return samples;
  } finally {
    for (const server of servers) await stopServer(server);
  }
}

/** The live channel: N idle sockets on one instance, then on three (each on a fresh database). */
async function livePart(adminUrl: string, dbName: string, postgres: string): Promise<void> {
  const results: LiveResult[] = [];
  for (const instances of [1, 3] as const) results.push(await liveBench(await createDatabase(adminUrl, `${dbName}_live${instances}`), instances));
  const table = liveReport(results);
  console.log(table);
  writeFileSync(
    join(__dirname, '..', 'docs', 'BENCHMARKS-LIVE.md'),
    `# The live channel (npm run bench, BENCH_PARTS=live)\n\nWritten by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, PostgreSQL ${postgres}, ` +
      `${CORES} cores. Idle sockets each run \`sessionEvents\`; ${settings.liveLogouts} users (20 sockets each) are logged out with ` +
      `\`logout(scope: ALL)\` one after another, through the first instance, and each of their sockets' close is timed from the response.\n\n${table}\n`,
  );
}

/** The sign-in flows (scripts/bench/flows.ts) on a fresh server and database of their own. */
async function flowsPart(adminUrl: string, dbName: string, postgres: string): Promise<void> {
  const table = flowsReport(await flowsBench(await createDatabase(adminUrl, `${dbName}_flows`), settings.port + 30));
  console.log(table);
  writeFileSync(
    join(__dirname, '..', 'docs', 'BENCHMARKS-FLOWS.md'),
    `# The sign-in flows (npm run bench, BENCH_PARTS=flows)\n\nWritten by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, PostgreSQL ${postgres}, ` +
      `${CORES} cores, the server pinned to one core${settings.pin ? '' : ' (unpinned: BENCH_PIN=0)'}, NODE_ENV=production, LOG_LEVEL=info, bcrypt cost ${settings.cost}. ` +
      `Each operation runs ${settings.loginConnections} at a time, after a warm-up pass of as many (on other accounts, but for passkey sign-ins, which repeat on ${passkeyAccounts(settings.flowOps)} accounts); ` +
      `its server CPU (every thread) runs from an idle server to an idle server again, so the mail it sends is billed to it. ` +
      `What an operation needs first is made before that window: verifyMfa's challenge by a password login (its hashing is login's), ` +
      `resetPassword's token by requestPasswordReset's mail. A passkey sign-in is passkeyLoginOptions (with the email) and loginWithPasskey, ` +
      `answered by a software authenticator (tests/helpers/passkey-authenticator.ts). Latency is the client's, for the whole operation.\n\n${table}\n`,
  );
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await query(adminUrl, `create database "${name}"`);
  return Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
}

/** Revoked rows of other users: what a `me` that checks its token against the list must not slow down with. */
async function insertRevoked(databaseUrl: string): Promise<void> {
  const started = Date.now();
  await query(
    databaseUrl,
    `insert into revoked_tokens (jti, user_id, expires_at, revoked_at)
     select gen_random_uuid(), gen_random_uuid(), now() + interval '1 hour', now() from generate_series(1, ${settings.revoked})`,
  );
  // As a long-running database would have it: vacuumed and analysed, no autovacuum pending mid-measurement.
  await query(databaseUrl, 'vacuum analyze revoked_tokens');
  console.log(`inserted ${settings.revoked.toLocaleString('en')} revoked tokens in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
