// The sign-in flows' part of `npm run bench` (BENCH_PARTS=flows alone): what verifyMfa (TOTP), a passkey
// sign-in (passkeyLoginOptions + loginWithPasskey), requestPasswordReset and resetPassword cost the server.
// One fresh server, pinned like the others, with what those flows need in production: an SMTP server (the
// tests' smtp-server, in this process on 127.0.0.1), APP_URL, a WebAuthn RP ID and origin, ENCRYPTION_KEY.
// Passkeys are answered by the tests' software authenticator (P-256, "none" attestation), TOTP codes by
// the server's own RFC 6238 code.
//
// Each operation runs BENCH_FLOW_OPS times (default 100; passkey sign-ins 5x as many: they need no
// hashing) with BENCH_LOGIN_CONNECTIONS in flight, twice: a warm-up pass on accounts of its own (V8
// compiles the path), then the measured pass. The server's CPU is read (/proc, every thread) from an
// idle server to an idle server again, so mail sent because of the operation is billed to it. What each
// operation needs first (a challenge from a password login, a reset link by mail) is made before the
// window and not billed. A single-use TOTP code or reset token is why these run by count, not by time.
import { randomBytes } from 'node:crypto';
import { totpCode } from '../../src/mfa/totp';
import { RATE_LIMIT_SETTINGS } from '../../src/config/operations';
import { SoftAuthenticator } from '../../tests/helpers/passkey-authenticator';
import { startSmtpServer, type TestSmtpServer } from '../../tests/helpers/smtp-server';
import { rawBcryptRate } from './measure';
import { cpuMicros, startServer, stopServer, waitUntilIdle, type Server } from './server';
import { PASSWORD, settings } from './settings';

const RP_ID = 'app.bench.example';
const ORIGIN = `https://${RP_ID}`;
const NEW_PASSWORD = 'another horse battery staple';
const TOTP_STEP_MS = 30_000;

/** The accounts passkey sign-ins repeat on (each signs in many times: no single-use secret stands in the way). */
export const passkeyAccounts = (count: number): number => Math.max(2, Math.ceil(count / 10));

export interface FlowResult {
  operation: string;
  /** Operations in the measured pass. */
  count: number;
  inFlight: number;
  /** Server CPU (every thread) per operation, µs. */
  cpuMicrosPerOp: number;
  perSecond: number;
  /** Latency of one operation (both requests of a passkey sign-in), ms. */
  p50: number;
  p99: number;
  errors: number;
}

export interface FlowsReport {
  results: FlowResult[];
  /** Raw bcrypt in this process at the server's cost, one at a time: what resetPassword's new hash costs by itself. */
  bcryptMicros: number;
}

interface Account {
  email: string;
  accessToken: string;
}

const DOCUMENTS = {
  register: 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken } }',
  login: 'mutation ($input: LoginInput!) { login(input: $input) { __typename ... on MfaChallenge { challengeToken } } }',
  startTotp: 'mutation { startTotpEnrollment { secret } }',
  confirmTotp: 'mutation ($code: String!) { confirmTotpEnrollment(code: $code) { codes } }',
  verifyMfa: 'mutation ($input: VerifyMfaInput!) { verifyMfa(input: $input) { accessToken refreshToken } }',
  passkeyRegistrationOptions: 'mutation { passkeyRegistrationOptions }',
  registerPasskey: 'mutation ($response: JSON!) { registerPasskey(name: "bench", response: $response) { id } }',
  passkeyLoginOptions: 'mutation ($email: String) { passkeyLoginOptions(email: $email) { challengeId options } }',
  loginWithPasskey: 'mutation ($input: LoginWithPasskeyInput!) { loginWithPasskey(input: $input) { accessToken refreshToken } }',
  requestPasswordReset: 'mutation ($email: String!) { requestPasswordReset(email: $email) }',
  resetPassword: 'mutation ($input: ResetPasswordInput!) { resetPassword(input: $input) }',
};

class GraphQLFailure extends Error {}

/** One GraphQL request; a GraphQL error or a non-2xx answer throws (counted as an error by the caller). */
async function call<T>(server: Server, document: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const response = await fetch(`${server.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: document, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  if (!response.ok || body.errors || !body.data) throw new GraphQLFailure(`${response.status} ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

/** Runs `op` on every item with `inFlight` at a time; the latency of each, and how many threw. */
async function inParallel<T>(items: T[], inFlight: number, op: (item: T) => Promise<unknown>) {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        const started = performance.now();
        try {
          await op(item);
          latencies.push(performance.now() - started);
        } catch (error) {
          errors++;
          firstError ??= error;
        }
      }
    }),
  );
  if (firstError) console.warn(`flows: ${errors} failed, the first with ${String(firstError)}`);
  return { latencies, errors };
}

const totalCpu = (server: Server) => [...cpuMicros(server.pids()).values()].reduce((sum, micros) => sum + micros, 0);

/** The measured pass of one operation: from an idle server to an idle server again. */
async function measure<T>(server: Server, operation: string, items: T[], op: (item: T) => Promise<unknown>): Promise<FlowResult> {
  const inFlight = settings.loginConnections;
  await waitUntilIdle(server);
  const cpuBefore = totalCpu(server);
  const started = performance.now();
  const { latencies, errors } = await inParallel(items, inFlight, op);
  const seconds = (performance.now() - started) / 1000;
  await waitUntilIdle(server);
  const sorted = latencies.sort((a, b) => a - b);
  const pick = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  const result: FlowResult = {
    operation,
    count: items.length,
    inFlight,
    cpuMicrosPerOp: (totalCpu(server) - cpuBefore) / items.length,
    perSecond: items.length / seconds,
    p50: pick(0.5),
    p99: pick(0.99),
    errors,
  };
  console.log(
    `${operation.padEnd(24)} ${result.count} ops: ${(result.cpuMicrosPerOp / 1000).toFixed(2)} ms CPU each, ` +
      `${result.perSecond.toFixed(0)}/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms` +
      (errors ? `, ERRORS ${errors}` : ''),
  );
  return result;
}

/** A warm-up pass (its own items, not reported), then the measured pass. */
async function warmedUp<T>(server: Server, operation: string, [warm, measured]: [T[], T[]], op: (item: T) => Promise<unknown>) {
  await inParallel(warm, settings.loginConnections, op);
  return measure(server, operation, measured, op);
}

async function register(server: Server, count: number, label: string): Promise<Account[]> {
  const emails = Array.from({ length: count }, (_, i) => `flow-${label}-${i}-${randomBytes(3).toString('hex')}@bench.example`);
  const accounts: Account[] = [];
  const { errors } = await inParallel(emails, settings.loginConnections, async (email) => {
    const data = await call<{ register: { accessToken: string } }>(server, DOCUMENTS.register, { input: { email, password: PASSWORD } });
    accounts.push({ email, accessToken: data.register.accessToken });
  });
  if (errors) throw new Error(`flows: ${errors} registrations failed`);
  return accounts;
}

const halves = <T>(items: T[]): [T[], T[]] => [items.slice(0, items.length / 2), items.slice(items.length / 2)];

/** verifyMfa with a TOTP code, on challenges from password logins made before the window. */
async function totpFlow(server: Server, count: number): Promise<FlowResult> {
  const accounts = await register(server, count * 2, 'totp');
  const enrolled = await Promise.all(
    accounts.map(async ({ email, accessToken }) => {
      const { startTotpEnrollment } = await call<{ startTotpEnrollment: { secret: string } }>(server, DOCUMENTS.startTotp, {}, accessToken);
      const { secret } = startTotpEnrollment;
      await call(server, DOCUMENTS.confirmTotp, { code: totpCode(secret, Date.now()) }, accessToken);
      return { email, secret };
    }),
  );
  const challenges: { secret: string; challengeToken: string }[] = [];
  const { errors } = await inParallel(enrolled, settings.loginConnections, async ({ email, secret }) => {
    const { login } = await call<{ login: { __typename: string; challengeToken?: string } }>(server, DOCUMENTS.login, {
      input: { email, password: PASSWORD },
    });
    if (!login.challengeToken) throw new Error(`expected an MfaChallenge, got ${login.__typename}`);
    challenges.push({ secret, challengeToken: login.challengeToken });
  });
  if (errors) throw new Error(`flows: ${errors} logins failed`);
  // The enrollment used the current step's code, which is not accepted twice: the next step's is within the window.
  return warmedUp(server, 'verifyMfa (TOTP)', halves(challenges), ({ secret, challengeToken }) =>
    call(server, DOCUMENTS.verifyMfa, { input: { challengeToken, method: 'TOTP', code: totpCode(secret, Date.now() + TOTP_STEP_MS) } }),
  );
}

/** passkeyLoginOptions with the email, then loginWithPasskey with the software authenticator's assertion. */
async function passkeyFlow(server: Server, count: number): Promise<FlowResult> {
  const accounts = await register(server, passkeyAccounts(count), 'passkey');
  // Synced passkeys (backed up) that do not count signatures, as most do: sign-ins of one account may overlap.
  const users = await Promise.all(
    accounts.map(async ({ email, accessToken }) => {
      const authenticator = new SoftAuthenticator();
      const { passkeyRegistrationOptions } = await call<{ passkeyRegistrationOptions: unknown }>(
        server,
        DOCUMENTS.passkeyRegistrationOptions,
        {},
        accessToken,
      );
      const { response } = authenticator.create(passkeyRegistrationOptions, { origin: ORIGIN, backedUp: true, signCount: 0 });
      await call(server, DOCUMENTS.registerPasskey, { response }, accessToken);
      return { email, authenticator };
    }),
  );
  const signIns = Array.from({ length: count * 10 }, (_, i) => users[i % users.length]);
  return warmedUp(server, 'passkey sign-in', halves(signIns), async ({ email, authenticator }) => {
    const { passkeyLoginOptions } = await call<{ passkeyLoginOptions: { challengeId: string; options: unknown } }>(
      server,
      DOCUMENTS.passkeyLoginOptions,
      {
        email,
      },
    );
    const response = authenticator.get(passkeyLoginOptions.options, { origin: ORIGIN });
    return call(server, DOCUMENTS.loginWithPasskey, { input: { challengeId: passkeyLoginOptions.challengeId, response } });
  });
}

/** requestPasswordReset (its mail delivered within the window), then resetPassword with the mailed token. */
async function resetFlow(server: Server, smtp: TestSmtpServer, count: number): Promise<FlowResult[]> {
  const accounts = await register(server, count * 2, 'reset');
  const [warm, measured] = halves(accounts);
  const request = ({ email }: Account) => call(server, DOCUMENTS.requestPasswordReset, { email });
  await inParallel(warm, settings.loginConnections, request);
  const requested = await measure(server, 'requestPasswordReset', measured, request);
  const tokens = await Promise.all(
    accounts.map(async ({ email }) => {
      for (;;) {
        const mail = await smtp.nextMail(email, { timeoutMs: 60_000 });
        const token = /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
        if (token) return token;
      }
    }),
  );
  const reset = (token: string) => call(server, DOCUMENTS.resetPassword, { input: { token, newPassword: NEW_PASSWORD } });
  return [requested, await warmedUp(server, 'resetPassword', halves(tokens), reset)];
}

export async function flowsBench(databaseUrl: string, port: number): Promise<FlowsReport> {
  const count = settings.flowOps;
  const smtp = await startSmtpServer();
  let server: Server | undefined;
  try {
    const limits = Object.fromEntries(RATE_LIMIT_SETTINGS.map(({ limitVariable }) => [limitVariable, '100000000/1h']));
    server = await startServer(databaseUrl, 1, port, {
      ...limits,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Bench <no-reply@bench.example>',
      APP_URL: ORIGIN,
      WEBAUTHN_RP_ID: RP_ID,
      WEBAUTHN_ORIGINS: ORIGIN,
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    });
    const results = [await totpFlow(server, count), await passkeyFlow(server, count), ...(await resetFlow(server, smtp, count))];
    await stopServer(server);
    server = undefined;
    // As login's own comparison: right after, at the server's cost; one at a time, as resetPassword hashes once.
    const bcrypt = await rawBcryptRate(0, 1);
    return { results, bcryptMicros: bcrypt.cpuMicrosPerCompare };
  } finally {
    if (server) await stopServer(server);
    await smtp.close();
  }
}

/** docs/BENCHMARKS-FLOWS.md's table. */
export function flowsReport({ results, bcryptMicros }: FlowsReport): string {
  const ms = (micros: number) => (micros / 1000).toFixed(2);
  const rows = results.map((r) => {
    const hashing = r.operation === 'resetPassword' ? ` (${(r.cpuMicrosPerOp / bcryptMicros).toFixed(2)}x a raw bcrypt hash)` : '';
    return `| ${r.operation} | ${r.count} | ${ms(r.cpuMicrosPerOp)}${hashing} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`;
  });
  return [
    `| operation | measured | server CPU per operation, ms | per second | p50 ms | p99 ms | errors |`,
    `|---|---:|---:|---:|---:|---:|---:|`,
    ...rows,
    '',
    `Raw bcrypt at cost ${settings.cost}, one at a time in the benchmark's process: ${ms(bcryptMicros)} ms of CPU per hash.`,
  ].join('\n');
}
