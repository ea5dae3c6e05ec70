// Runs loads with autocannon (in this process) and records what they got and what the server spent.
import autocannon from 'autocannon';
import bcrypt from 'bcrypt';
import { runPaced } from './paced';
import { cpuMicros, loopLagMaxMs, rssMb, waitUntilIdle, type Server } from './server';
import { settings } from './settings';
import type { Load } from './workloads';

export interface Sample {
  workload: string;
  round: number;
  workers: number;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Everything that was not a GraphQL success: connection errors and timeouts, non-2xx, GraphQL errors. */
  errors: number;
  errorDetail: { connection: number; timeouts: number; non2xx: number; graphql: number };
  /**
   * Server CPU time (every serving process, until it is idle again) over every request sent in the phase,
   * the loads run alongside included, and the requests cut off when the phase ended.
   */
  cpuMicrosPerRequest: number;
  /** Highest RSS of any one server process seen during the phase. */
  rssMb: number;
  /** Highest sum of the RSS of the server processes (primary and workers) seen during the phase. */
  rssTotalMb: number;
  /** Longest event-loop delay of the server during the loads, in ms (WORKERS=1 only; see loopLagMaxMs). */
  loopLagMaxMs?: number;
  /** With WORKERS > 1: server CPU time of the phase in ms, the primary's and each worker's. */
  cpuMsByProcess?: { primary: number; workers: number[] };
  alongside?: string[];
  ops?: Record<string, number>;
}

export interface BcryptSample {
  round: number;
  parallel: number;
  comparesPerSecond: number;
  /** CPU time (user + system) of this process per compare: what one login's hashing costs a server. */
  cpuMicrosPerCompare: number;
}

const RSS_POLL_MS = 250;

/** Runs the loads at the same time (one phase), each for `duration` seconds, and returns a sample for each. */
export async function runPhase(server: Server, round: number, loads: Load[], duration = settings.duration): Promise<Sample[]> {
  await loopLagMaxMs(server);
  const watch = watchResources(server);
  const url = `${server.baseUrl}/graphql`;
  const results = await Promise.all(
    loads.map((load) =>
      load.paced
        ? runPaced(url, { ...load.paced, duration, connections: load.connections })
        : autocannon({
            url,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            connections: load.connections,
            duration,
            ...load.options,
          }),
    ),
  );
  const lagMs = await loopLagMaxMs(server);
  // The requests cut off at the end are still served: bill their CPU time, and divide by every request sent.
  await waitUntilIdle(server);
  const used = watch.finish();
  for (const load of loads) await load.settle?.();
  const allSent = results.reduce((sum, result) => sum + result.requests.sent, 0);
  return loads.map((load, i) => {
    const result = results[i];
    const errorDetail = {
      connection: result.errors - result.timeouts,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      graphql: load.failures.count,
    };
    const sample: Sample = {
      workload: load.name,
      round,
      workers: server.workers,
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx + load.failures.count,
      errorDetail,
      cpuMicrosPerRequest: used.cpuMicros / Math.max(1, allSent),
      rssMb: used.maxRssMb,
      rssTotalMb: used.maxTotalRssMb,
      ...(lagMs !== undefined ? { loopLagMaxMs: lagMs } : {}),
      ...(server.workers > 1 ? { cpuMsByProcess: used.byProcess } : {}),
      ...(loads.length > 1 ? { alongside: loads.filter((other) => other !== load).map((other) => other.name) } : {}),
      ...(load.ops ? { ops: { ...load.ops } } : {}),
    };
    printSample(sample);
    return sample;
  });
}

function printSample(s: Sample): void {
  const errors = s.errors > 0 ? `, ERRORS ${s.errors} ${JSON.stringify(s.errorDetail)}` : '';
  const cpu = s.cpuMsByProcess
    ? `, CPU ms primary ${s.cpuMsByProcess.primary.toFixed(0)}, workers ${s.cpuMsByProcess.workers.map((ms) => ms.toFixed(0)).join(' + ')}`
    : '';
  console.log(`${s.workload.padEnd(24)} round ${s.round}: ${s.requestsPerSecond.toFixed(0)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms${cpu}${errors}`);
}

/** CPU time of the server processes between start and finish; RSS polled meanwhile, since it peaks mid-load. */
function watchResources(server: Server) {
  const before = cpuMicros(server.pids());
  let maxRssMb = 0;
  let maxTotalRssMb = 0;
  const poll = () => {
    const rss = server.pids().map(rssMb);
    maxRssMb = Math.max(maxRssMb, ...rss);
    maxTotalRssMb = Math.max(
      maxTotalRssMb,
      rss.reduce((sum, mb) => sum + mb, 0),
    );
  };
  poll();
  const timer = setInterval(poll, RSS_POLL_MS);
  return {
    finish() {
      clearInterval(timer);
      poll();
      const primary = server.process.pid;
      const byProcess = { primary: 0, workers: [] as number[] };
      let spent = 0;
      // A process that started during the phase (a replaced worker) counts from zero.
      for (const [pid, micros] of cpuMicros(server.pids())) {
        const delta = micros - (before.get(pid) ?? 0);
        spent += delta;
        if (pid === primary) byProcess.primary = delta / 1000;
        else byProcess.workers.push(delta / 1000);
      }
      return { cpuMicros: spent, maxRssMb, maxTotalRssMb, byProcess };
    },
  };
}

/**
 * bcrypt.compare at the server's cost with `parallel` compares in flight, for BENCH_DURATION seconds: what
 * `login` could reach if nothing but hashing cost anything. This process's thread pool is sized in main().
 */
export async function rawBcryptRate(round: number, parallel: number): Promise<BcryptSample> {
  const hash = await bcrypt.hash('x'.repeat(44), settings.cost);
  let done = 0;
  const cpuBefore = process.cpuUsage();
  const start = Date.now();
  const end = start + settings.duration * 1000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < end) {
        await bcrypt.compare('y'.repeat(44), hash);
        done++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const sample = {
    round,
    parallel,
    comparesPerSecond: done / ((Date.now() - start) / 1000),
    cpuMicrosPerCompare: (cpu.user + cpu.system) / Math.max(1, done),
  };
  console.log(
    `${`raw bcrypt x${parallel}`.padEnd(24)} round ${round}: ${sample.comparesPerSecond.toFixed(1)} compares/s, ${(sample.cpuMicrosPerCompare / 1000).toFixed(1)} ms CPU each`,
  );
  return sample;
}
