// The Gatehouse process under test: start, readiness, stop, and what it costs (CPU time, RSS) from /proc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { threadPoolSize } from '../../src/config';
import { ROOT, SERVER_CORE, settings } from './settings';

export interface Server {
  process: ChildProcess;
  workers: number;
  /** libuv threads per serving process, as passed in UV_THREADPOOL_SIZE. */
  threadPoolSize: number;
  baseUrl: string;
  /** The processes that serve: the process itself, or with WORKERS > 1 the primary and its workers. */
  pids(): number[];
}

// One secret for every server of the run, so tokens issued by the 1-worker server stay valid for the 2-worker one.
const JWT_SECRET = randomBytes(48).toString('base64');
// /metrics on the main port, for the event-loop lag of each phase.
const METRICS_TOKEN = randomBytes(24).toString('hex');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

export async function startServer(
  databaseUrl: string,
  workers: number,
  port = settings.port,
  extraEnv: Record<string, string> = {},
): Promise<Server> {
  // Passed explicitly (the server would compute the same) so that raw bcrypt is measured with this count too.
  const pool = threadPoolSize(workers);
  const child = spawnPinned(workers === 1, [join(ROOT, 'dist', 'src', 'main.js')], {
    env: {
      ...process.env,
      // V8 flags for the server alone (the bench's own process keeps its defaults).
      NODE_OPTIONS: settings.serverNodeOptions,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      WORKERS: String(workers),
      UV_THREADPOOL_SIZE: String(pool),
      JWT_SECRET,
      METRICS_TOKEN,
      // Long enough that the seeded tokens outlive the whole run on a slow machine.
      ACCESS_TOKEN_TTL: '1h',
      // A refresh cut off at the end of a phase is presented again once the server is idle (up to 15 s later),
      // which must still fall in the window where it yields the same new token (the default is 10 s).
      REFRESH_REUSE_GRACE: '60s',
      BCRYPT_COST: String(settings.cost),
      // As in production: one access-log line per request is part of what a request costs.
      LOG_LEVEL: 'info',
      // The limits would otherwise turn most of the load into RATE_LIMITED answers.
      RATE_LIMIT_LOGIN_IP: '100000000/1m',
      RATE_LIMIT_REGISTER_IP: '100000000/1m',
      RATE_LIMIT_REFRESH_IP: '100000000/1m',
      RATE_LIMIT_ACCOUNT_FAILURES: '100000000/1m',
      RATE_LIMIT_ACCOUNT_LOCKOUT: '100000000/1h',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  showWarnings(child);
  const server: Server = {
    process: child,
    workers,
    threadPoolSize: pool,
    baseUrl: `http://127.0.0.1:${port}`,
    pids: () => (workers === 1 ? [child.pid!] : [child.pid!, ...childPids(child.pid!)]),
  };
  try {
    await waitUntilReady(server, databaseUrl);
  } catch (error) {
    await stopServer(server);
    throw error;
  }
  return server;
}

/**
 * The bare framework (scripts/bench/bare-server.js: Apollo Server 5 + Fastify, `{ __typename }`, no plugins),
 * pinned like a one-worker Gatehouse and given the same V8 flags, for the ratios against the framework.
 */
export async function startBareServer(port: number): Promise<Server> {
  const child = spawnPinned(true, [join(ROOT, 'scripts', 'bench', 'bare-server.js')], {
    env: { ...process.env, NODE_OPTIONS: settings.serverNodeOptions, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const server: Server = { process: child, workers: 1, threadPoolSize: 0, baseUrl: `http://127.0.0.1:${port}`, pids: () => [child.pid!] };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await fetch(`${server.baseUrl}/healthz`).catch(() => undefined))?.ok) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopServer(server);
      throw new Error('the bare framework server did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return server;
}

/** Node with `args`; on SERVER_CORE alone in pinned mode when `pinnable` (taskset execs node: same pid). */
function spawnPinned(pinnable: boolean, script: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  // Not allowed in NODE_OPTIONS: given on the command line.
  const args = settings.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfileDir}`, ...script] : script;
  return settings.pin && pinnable
    ? spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...args], options)
    : spawn(process.execPath, args, options);
}

/** The server's log is read like a log shipper would; only its warnings and errors are shown. */
function showWarnings(child: ChildProcess): void {
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (/"level":[456]0/.test(line)) console.log(line);
  });
}

/**
 * Ready when /healthz answers and every serving process holds its auth-cache listener connection
 * (application_name gatehouse-listener): with WORKERS=2 the first worker alone would pass /healthz.
 */
async function waitUntilReady(server: Server, databaseUrl: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.process.exitCode !== null) throw new Error(`the server exited with code ${server.process.exitCode}`);
    const healthy = (await fetch(`${server.baseUrl}/healthz`).catch(() => undefined))?.ok;
    if (healthy && (await listenerCount(databaseUrl)) >= server.workers) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the server (WORKERS=${server.workers}) was not ready within ${START_TIMEOUT_MS / 1000} s`);
}

async function listenerCount(databaseUrl: string): Promise<number> {
  const rows = await query<{ n: string }>(
    databaseUrl,
    `select count(*) as n from pg_stat_activity where application_name = 'gatehouse-listener' and datname = current_database()`,
  );
  return Number(rows[0].n);
}

export async function stopServer(server: Server): Promise<void> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  // A graceful shutdown that hangs must not hang the benchmark (nor leave the database undroppable).
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Children of every thread of pid (node:cluster workers of a primary). */
function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

const CLOCK_TICKS = readClockTicks();

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** CPU time (user + system) of each process so far, in µs; a process that is gone is left out. */
export function cpuMicros(pids: number[]): Map<number, number> {
  const result = new Map<number, number>();
  for (const pid of pids) {
    try {
      // Fields after the command name, which may itself hold spaces: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      result.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS);
    } catch {
      // exited between listing and reading
    }
  }
  return result;
}

const IDLE_WINDOW_MS = 100;
/** Below this share of one core over a window, the server counts as idle (timers and the listener cost a little). */
const IDLE_SHARE = 0.05;
const IDLE_TIMEOUT_MS = 15_000;

/**
 * Waits until the server has worked off what autocannon left in flight when it stopped: queued logins
 * keep hashing for seconds, which would be billed to, and slow down, whatever is measured next.
 */
export async function waitUntilIdle(server: Server): Promise<void> {
  const deadline = Date.now() + IDLE_TIMEOUT_MS;
  const total = () => [...cpuMicros(server.pids()).values()].reduce((sum, micros) => sum + micros, 0);
  let quietWindows = 0;
  while (quietWindows < 2 && Date.now() < deadline) {
    const before = total();
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    quietWindows = total() - before < IDLE_SHARE * IDLE_WINDOW_MS * 1000 ? quietWindows + 1 : 0;
  }
  if (quietWindows < 2) console.warn(`the server was still busy ${IDLE_TIMEOUT_MS / 1000} s after the phase`);
}

export function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export async function query<T extends object = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * The longest event-loop delay since the last call, in ms (prom-client's `nodejs_eventloop_lag_max_seconds`,
 * which starts over at every scrape; it samples every 10 ms, so an idle loop reads about 10). Undefined
 * with WORKERS > 1: each scrape reaches whichever worker takes the connection.
 */
export async function loopLagMaxMs(server: Server): Promise<number | undefined> {
  if (server.workers > 1) return undefined;
  const response = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const match = /^nodejs_eventloop_lag_max_seconds ([\d.e+-]+)$/m.exec(await response.text());
  return match ? Number(match[1]) * 1000 : undefined;
}
