'use strict';
// npm run bench:ab -- <ceiling|me|login> <pairs> <seconds> name=<server> ...
//
// Interleaved A/B of servers that run at the same time: each <server> is `bare` (scripts/bench/bare-server.js)
// or the path of a built Gatehouse entry point (e.g. dist/src/main.js, or a copy of an older build's dist),
// optionally followed by `@` and extra V8 flags separated by commas (`dist/src/main.js@--max-semi-space-size=8`).
// Every server runs on core 0 (taskset), this process and its load on core 1. After warm-ups, each pair is one
// burst of <seconds> per server, in rotated order; the answer is the median CPU per request (/proc, from the
// burst's start until the server is idle again) and the median of the per-pair ratios to the first server,
// so that what moves the machine between pairs cancels out within a pair. Each Gatehouse server registers a
// few users first (as any running server has written rows). Traffic goes to 127.0.0.1 only.
// `login` signs those users in (8 connections) and counts each server's CPU outside its hashing thread (its
// libuv pool has one thread, the one that uses the most CPU besides the main thread), after 30 s of logins
// per server so that V8 has compiled the login path; `bare` cannot serve it.
//   BENCH_DATABASE_URL  PostgreSQL server to create a scratch database on (default the local `test` one)
//   BENCH_AB_USERS      users each Gatehouse server registers first (default 10; a server that has hashed
//                       many passwords behaves differently: see src/main.ts, serve)
//   BENCH_AB_SERVED     names of Gatehouse servers that first serve sign-in traffic, before the warm-ups:
//                       BENCH_AB_SERVE_ROUNDS (default 1000) of login, me, refresh, me, logout, 8 at a time,
//                       as npm run bench's server has before its ceiling bursts. Two servers of one build,
//                       one of them served (fresh=dist/src/main.js served=dist/src/main.js), show what a
//                       server's history costs a `{ __typename }`.
// Example: npm run build && npm run bench:ab -- ceiling 6 5 bare=bare now=dist/src/main.js
// Use bursts of 5 s, as npm run bench does: in 2-s bursts the bare framework measured 56-68 us per request
// where 5-s phases gave it 84-95, and Gatehouse moved much less, so short bursts flatter the bare framework.
const { execFileSync, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { readFileSync, readdirSync } = require('node:fs');
const { join, resolve } = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');
const { NODE_FLAGS } = require('./node-flags');

const ROOT = join(__dirname, '..');
const PASSWORD = 'correct horse battery staple';
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[Math.floor(middle)];
};

/** CPU time (user + system) of each thread of `pid` so far, in µs, by thread id. */
function threadMicros(pid) {
  const byThread = new Map();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const fields = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8').split(') ')[1].split(' ');
    byThread.set(task, ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS);
  }
  return byThread;
}

/** CPU time (user + system) of every thread of `pid` so far, in µs. */
const cpuMicros = (pid) => [...threadMicros(pid).values()].reduce((sum, micros) => sum + micros, 0);

async function untilIdle(pid) {
  for (let quiet = 0; quiet < 2;) {
    const before = cpuMicros(pid);
    await sleep(100);
    quiet = cpuMicros(pid) - before < 5000 ? quiet + 1 : 0;
  }
}

async function admin(url, sql) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

// The operations this script sends (scripts/bench/client.ts holds the same for npm run bench, in TypeScript).
const DOCUMENTS = {
  register: 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken } }',
  login: 'mutation ($input: LoginInput!) { login(input: $input) { ... on AuthPayload { accessToken refreshToken } } }',
  refresh: 'mutation ($refreshToken: String!) { refresh(refreshToken: $refreshToken) { accessToken refreshToken } }',
  me: '{ me { id email role } }',
  logout: 'mutation { logout }',
};

/** POSTs one GraphQL operation and returns its data, or throws with its errors. */
async function graphql(url, query, variables, token) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const answer = await response.json();
  if (!answer.data || answer.errors) throw new Error(`${query.slice(0, 40)}: ${JSON.stringify(answer.errors)}`);
  return answer.data;
}

/** `rounds` of login, me, refresh, me, logout on `url`, 8 at a time, over the accounts of `emails`. */
async function serveSignIns(url, emails, rounds) {
  let next = 0;
  const worker = async () => {
    for (let round = next++; round < rounds; round = next++) {
      const email = emails[round % emails.length];
      const { login } = await graphql(url, DOCUMENTS.login, { input: { email, password: PASSWORD } });
      await graphql(url, DOCUMENTS.me, undefined, login.accessToken);
      const { refresh } = await graphql(url, DOCUMENTS.refresh, { refreshToken: login.refreshToken });
      await graphql(url, DOCUMENTS.me, undefined, refresh.accessToken);
      await graphql(url, DOCUMENTS.logout, undefined, refresh.accessToken);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function main() {
  const [workload, pairs = '8', seconds = '2', ...specs] = process.argv.slice(2);
  if (!['ceiling', 'me', 'login'].includes(workload) || specs.length === 0)
    throw new Error('usage: bench:ab <ceiling|me|login> <pairs> <seconds> name=<bare|main.js[@flags]> ...');
  if (workload === 'login' && specs.some((spec) => spec.endsWith('=bare'))) throw new Error('bench:ab: the bare framework has no login');
  const users = Number(process.env.BENCH_AB_USERS ?? 10);
  execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const dbName = `gatehouse_ab_${Date.now()}`;
  await admin(adminUrl, `create database "${dbName}"`);
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();
  const jwtSecret = randomBytes(48).toString('base64');
  const servers = [];
  try {
    let port = 4700 + Math.floor(Math.random() * 200);
    for (const spec of specs) {
      const name = spec.slice(0, spec.indexOf('='));
      const [entry, flags = ''] = spec.slice(spec.indexOf('=') + 1).split('@');
      const env = {
        ...process.env,
        NODE_OPTIONS: [...NODE_FLAGS, ...flags.split(',').filter(Boolean)].join(' '),
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        WORKERS: '1',
        UV_THREADPOOL_SIZE: '1',
        JWT_SECRET: jwtSecret,
        ACCESS_TOKEN_TTL: '1h',
        BCRYPT_COST: '10',
        LOG_LEVEL: 'info',
        // Each Gatehouse server's registrations and logins (below) would otherwise meet the limits.
        RATE_LIMIT_REGISTER_IP: '100000000/1m',
        RATE_LIMIT_LOGIN_IP: '100000000/1m',
        RATE_LIMIT_REFRESH_IP: '100000000/1m',
        RATE_LIMIT_ACCOUNT_FAILURES: '100000000/1m',
        RATE_LIMIT_ACCOUNT_LOCKOUT: '100000000/1h',
      };
      const script = entry === 'bare' ? join(ROOT, 'scripts/bench/bare-server.js') : resolve(entry);
      const child = spawn('taskset', ['-c', '0', process.execPath, script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.resume();
      const server = { name, bare: entry === 'bare', child, url: `http://127.0.0.1:${port++}`, results: [] };
      servers.push(server);
      for (let i = 0; !(await fetch(`${server.url}/healthz`).catch(() => undefined))?.ok; i++) {
        if (i > 150 || child.exitCode !== null) throw new Error(`${name} did not start`);
        await sleep(200);
      }
    }
    const tokens = [];
    const emails = [];
    for (const server of servers.filter((s) => !s.bare)) {
      for (let i = 0; i < users; i++) {
        const input = { email: `ab-${Date.now()}-${server.name}-${i}@example.com`, password: PASSWORD };
        const { register } = await graphql(server.url, DOCUMENTS.register, { input });
        tokens.push(register.accessToken);
        emails.push(input.email);
      }
    }
    const served = (process.env.BENCH_AB_SERVED ?? '').split(',').filter(Boolean);
    for (const name of served) {
      const server = servers.find((s) => s.name === name && !s.bare);
      if (!server) throw new Error(`BENCH_AB_SERVED: no Gatehouse server named ${name}`);
      await serveSignIns(
        server.url,
        emails.filter((email) => email.includes(`-${name}-`)),
        Number(process.env.BENCH_AB_SERVE_ROUNDS ?? 1000),
      );
    }
    const pick = () => tokens[Math.floor(Math.random() * tokens.length)];
    const load = {
      me: {
        body: JSON.stringify({ query: DOCUMENTS.me }),
        requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${pick()}` } }) }],
      },
      login: {
        connections: 8,
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify({
                query: DOCUMENTS.login,
                variables: { input: { email: emails[Math.floor(Math.random() * emails.length)], password: PASSWORD } },
              }),
            }),
          },
        ],
      },
      ceiling: { body: JSON.stringify({ query: '{ __typename }' }) },
    }[workload];
    /** CPU used since `before`: every thread's, or for login every thread's but the hashing thread's. */
    const used = (pid, before) => {
      const deltas = [...threadMicros(pid)].map(([thread, micros]) => [thread, micros - (before.get(thread) ?? 0)]);
      const total = deltas.reduce((sum, [, micros]) => sum + micros, 0);
      if (workload !== 'login') return total;
      const hashing = Math.max(...deltas.filter(([thread]) => thread !== String(pid)).map(([, micros]) => micros));
      return total - hashing;
    };
    const burst = async (server, duration) => {
      await untilIdle(server.child.pid);
      const before = threadMicros(server.child.pid);
      const result = await autocannon({
        url: `${server.url}/graphql`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        connections: 32,
        duration,
        ...load,
      });
      await untilIdle(server.child.pid);
      return {
        micros: used(server.child.pid, before) / result.requests.sent,
        rps: result.requests.average,
        failed: result.non2xx + result.errors,
      };
    };
    if (workload === 'login') for (const server of servers) await burst(server, 30);
    else for (let i = 0; i < 3; i++) for (const server of servers) await burst(server, 3);
    for (let pair = 0; pair < Number(pairs); pair++) {
      for (const server of pair % 2 ? [...servers].reverse() : servers) server.results.push(await burst(server, Number(seconds)));
    }
    const [base] = servers;
    for (const { name, results, bare } of servers) {
      const ratios = results.map((r, i) => r.micros / base.results[i].micros);
      const failed = results.reduce((sum, r) => sum + r.failed, 0);
      console.log(
        `${name.padEnd(10)} CPU ${median(results.map((r) => r.micros)).toFixed(1)} µs/request, ${median(results.map((r) => r.rps)).toFixed(0)} req/s, ` +
          `CPU / ${base.name} ${median(ratios).toFixed(3)} [${ratios.map((r) => r.toFixed(2)).join(' ')}]${failed && !(bare && workload === 'me') ? `, ${failed} failed` : ''}`,
      );
    }
  } finally {
    for (const { child } of servers) child.kill('SIGTERM');
    await sleep(1000);
    await admin(adminUrl, `drop database if exists "${dbName}" with (force)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
