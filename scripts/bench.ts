// npm run bench: drives a real Gatehouse process with autocannon and prints ratios measured side by side
// in one run. Traffic goes to 127.0.0.1 only; every workload is bounded in time.
//
//   BENCH_DATABASE_URL  PostgreSQL server to create a scratch database on (default the local `test` one)
//   BENCH_DURATION      seconds per workload per round (default 5)   BENCH_ROUNDS  rounds (default 2)
//   BENCH_CONNECTIONS   concurrent connections (default 32)          BENCH_REVOKED revoked rows (default 1000000)
//   BENCH_BCRYPT_COST   bcrypt cost for the run (default 10)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import bcrypt from 'bcrypt';
import { Client } from 'pg';

const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 5);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 32);
const REVOKED = Number(env.BENCH_REVOKED ?? 1_000_000);
const COST = Number(env.BENCH_BCRYPT_COST ?? 10);
const USERS = 200;
const PORT = 4100 + Math.floor(Math.random() * 800);
const URL_BASE = `http://127.0.0.1:${PORT}`;
const PASSWORD = 'correct horse battery staple';

interface Sample {
  workload: string;
  round: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  cpuMicrosPerRequest: number;
  rssMb: number;
}

async function main(): Promise<void> {
  const adminUrl = env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const dbName = `gatehouse_bench_${Date.now()}`;
  await sql(adminUrl, `create database "${dbName}"`);
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();
  const server = await startServer(databaseUrl);
  try {
    const tokens = await seed();
    const samples: Sample[] = [];
    const run = async (workload: string, round: number, options: Pick<autocannon.Options, 'requests'>) => {
      const before = cpuMicros(server);
      const result = await autocannon({ ...options, url: `${URL_BASE}/graphql`, connections: CONNECTIONS, duration: DURATION });
      const total = result.requests.total || 1;
      samples.push({
        workload,
        round,
        requestsPerSecond: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.non2xx,
        cpuMicrosPerRequest: (cpuMicros(server) - before) / total,
        rssMb: rssMb(server),
      });
      const last = samples.at(-1)!;
      console.log(`${workload.padEnd(18)} round ${round}: ${last.requestsPerSecond.toFixed(0)} req/s, p50 ${last.p50} ms, p99 ${last.p99} ms`);
    };
    const post = (body: object, headers: Record<string, string> = {}) => ({
      method: 'POST' as const,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
    const meRequest = (): Pick<autocannon.Options, 'requests'> => ({
      requests: [{ ...post({ query: '{ me { id email role } }' }), setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${pick(tokens.access)}` } }) }],
    });
    const loginRequest = (): Pick<autocannon.Options, 'requests'> => ({
      requests: [
        {
          ...post({}),
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({
              query: 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }',
              variables: { input: { email: pick(tokens.emails), password: PASSWORD } },
            }),
          }),
        },
      ],
    });

    for (let round = 1; round <= ROUNDS; round++) {
      await run('ceiling', round, { requests: [post({ query: '{ __typename }' })] });
      await run('me', round, meRequest());
      await run('login', round, loginRequest());
    }
    const bcryptRate = await rawBcryptRate();
    console.log(`raw bcrypt.compare at cost ${COST}: ${bcryptRate.toFixed(1)}/s`);

    await sql(databaseUrl, `insert into revoked_tokens (jti, user_id, expires_at, revoked_at)
      select gen_random_uuid(), gen_random_uuid(), now() + interval '1 hour', now() from generate_series(1, ${REVOKED})`);
    await sql(databaseUrl, 'analyze revoked_tokens');
    for (let round = 1; round <= ROUNDS; round++) {
      await run('ceiling (revoked)', round, { requests: [post({ query: '{ __typename }' })] });
      await run('me (revoked)', round, meRequest());
    }
    report(samples, bcryptRate);
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    await sql(adminUrl, `drop database if exists "${dbName}" with (force)`);
  }
}

function report(samples: Sample[], bcryptRate: number): void {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = sorted.length / 2;
    return Number.isInteger(middle) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[Math.floor(middle)];
  };
  const of = (workload: string) => {
    const rows = samples.filter((s) => s.workload === workload);
    return {
      workload,
      requestsPerSecond: median(rows.map((r) => r.requestsPerSecond)),
      p50: median(rows.map((r) => r.p50)),
      p99: median(rows.map((r) => r.p99)),
      cpuMicrosPerRequest: median(rows.map((r) => r.cpuMicrosPerRequest)),
      rssMb: Math.max(...rows.map((r) => r.rssMb)),
      errors: rows.reduce((sum, r) => sum + r.errors, 0),
    };
  };
  const table = ['ceiling', 'me', 'login', 'ceiling (revoked)', 'me (revoked)'].map(of);
  const by = Object.fromEntries(table.map((t) => [t.workload, t]));
  const ratios = {
    meOverCeiling: by.me.requestsPerSecond / by.ceiling.requestsPerSecond,
    loginOverRawBcrypt: by.login.requestsPerSecond / bcryptRate,
    meRevokedOverMe: by['me (revoked)'].requestsPerSecond / by.me.requestsPerSecond,
    meRevokedOverCeilingRevoked: by['me (revoked)'].requestsPerSecond / by['ceiling (revoked)'].requestsPerSecond,
  };
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const versions = ['@apollo/server', 'fastify', 'type-graphql', '@mikro-orm/core', 'jsonwebtoken', 'bcrypt', 'autocannon']
    .map((name) => `${name} ${JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', name, 'package.json'), 'utf8')).version}`)
    .join(', ');
  const lines = [
    '| workload | req/s | p50 ms | p99 ms | server CPU µs/req | RSS MB | errors |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...table.map(
      (t) =>
        `| ${t.workload} | ${t.requestsPerSecond.toFixed(0)} | ${t.p50} | ${t.p99} | ${t.cpuMicrosPerRequest.toFixed(0)} | ${t.rssMb.toFixed(0)} | ${t.errors} |`,
    ),
    '',
    `| ratio | measured | target (issue 5) |`,
    '|---|---:|---:|',
    `| me / ceiling | ${ratios.meOverCeiling.toFixed(2)} | >= 0.6 |`,
    `| me with ${REVOKED.toLocaleString('en')} revoked / me with none | ${ratios.meRevokedOverMe.toFixed(2)} | >= 0.95 |`,
    `| login / raw bcrypt.compare (cost ${COST}, ${bcryptRate.toFixed(1)}/s) | ${ratios.loginOverRawBcrypt.toFixed(2)} | >= 0.9 |`,
  ];
  console.log(`\n${lines.join('\n')}\n`);
  const docs = join(__dirname, '..', 'docs');
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, 'benchmarks.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, versions, settings: { DURATION, ROUNDS, CONNECTIONS, REVOKED, COST }, samples, ratios }, null, 2)}\n`);
  writeFileSync(
    join(docs, 'BENCHMARKS.md'),
    [
      '# Benchmarks',
      '',
      `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine}; PostgreSQL at BENCH_DATABASE_URL.`,
      `${ROUNDS} rounds of ${DURATION} s per workload, ${CONNECTIONS} connections (autocannon in the same machine), medians over rounds.`,
      `Versions: ${versions}.`,
      '',
      ...lines,
      '',
      'Raw samples: [benchmarks.json](benchmarks.json). Rerun: `npm run bench` (see the variables at the top of scripts/bench.ts).',
      '',
    ].join('\n'),
  );
}

async function startServer(databaseUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(__dirname, '..', 'dist', 'src', 'main.js')], {
    env: {
      ...env,
      NODE_ENV: 'production',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: randomBytes(48).toString('base64'),
      BCRYPT_COST: String(COST),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_LOGIN_IP: '100000000/1m',
      RATE_LIMIT_REGISTER_IP: '100000000/1m',
      RATE_LIMIT_REFRESH_IP: '100000000/1m',
      RATE_LIMIT_ACCOUNT_FAILURES: '100000000/1m',
      RATE_LIMIT_ACCOUNT_LOCKOUT: '100000000/1h',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 150; i++) {
    if ((await fetch(`${URL_BASE}/healthz`).catch(() => undefined))?.ok) return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error('the server did not become healthy within 30 s');
}

async function seed(): Promise<{ emails: string[]; access: string[] }> {
  const emails: string[] = [];
  const access: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const email = `bench-${i}-${randomBytes(3).toString('hex')}@example.com`;
    const response = await fetch(`${URL_BASE}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken } }',
        variables: { input: { email, password: PASSWORD } },
      }),
    });
    const body = (await response.json()) as { data?: { register: { accessToken: string } }; errors?: unknown };
    if (!body.data) throw new Error(`seeding failed: ${JSON.stringify(body.errors)}`);
    emails.push(email);
    access.push(body.data.register.accessToken);
  }
  return { emails, access };
}

/** bcrypt.compare at the same cost, as many at once as libuv's pool runs, for DURATION seconds. */
async function rawBcryptRate(): Promise<number> {
  const hash = await bcrypt.hash('x'.repeat(44), COST);
  const parallel = Number(env.UV_THREADPOOL_SIZE ?? 4);
  let done = 0;
  const end = Date.now() + DURATION * 1000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < end) {
        await bcrypt.compare('y'.repeat(44), hash);
        done++;
      }
    }),
  );
  return done / DURATION;
}

function cpuMicros(child: ChildProcess): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime, in clock ticks (100 a second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
}

function rssMb(child: ChildProcess): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

async function sql(url: string, text: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
