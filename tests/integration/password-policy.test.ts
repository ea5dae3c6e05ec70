import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

const REGISTER = 'mutation ($input: RegisterInput!) { register(input: $input) { accessToken } }';
const BREACHED = 'pwned but long enough';

/** A stand-in for a k-anonymity range API: knows one breached password, records the prefixes asked for. */
async function startRangeApi(delayMs = 0) {
  const asked: string[] = [];
  const sha1 = createHash('sha1').update(BREACHED).digest('hex').toUpperCase();
  const server: Server = createServer((req, res) => {
    const prefix = (req.url ?? '').split('/').pop() ?? '';
    asked.push(prefix);
    const lines = [`${'0'.repeat(35)}:3`, ...(prefix === sha1.slice(0, 5) ? [`${sha1.slice(5)}:42`] : [])];
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n')), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/range`,
    asked,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const register = (server: TestServer, password: string, email = uniqueEmail()) =>
  server.post({ query: REGISTER, variables: { input: { email, password } } });
const rejection = async (server: TestServer, password: string, email?: string) => (await register(server, password, email)).body.errors?.[0];

describe('new passwords', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PASSWORD_MIN_LENGTH: '10' });
    cleanups.push(() => server.close());
  });

  it('refuse the most common passwords', async () => {
    for (const common of ['password123', 'qwertyuiop', 'Password12']) {
      expect(await rejection(server, common)).toMatchObject({
        message: expect.stringMatching(/too common/),
        extensions: { code: 'BAD_USER_INPUT', field: 'password' },
      });
    }
  });

  it('refuse passwords that contain the email or its local part', async () => {
    const email = uniqueEmail('jonathan');
    expect(await rejection(server, `my ${email.split('@')[0].toUpperCase()} pass`, email)).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'password' },
    });
  });

  it('apply PASSWORD_MIN_LENGTH', async () => {
    expect(await rejection(server, 'ninechars')).toMatchObject({ message: expect.stringMatching(/at least 10/) });
    expect(await rejection(server, 'tenchars!!')).toBeUndefined();
  });
});

describe('breached-password check (BREACHED_PASSWORD_API)', () => {
  it('refuses a breached password, sending only a 5-character hash prefix', async () => {
    const api = await startRangeApi();
    const server = await startTestServer({ BREACHED_PASSWORD_API: api.url });
    cleanups.push(() => server.close(), api.close);
    expect(await rejection(server, BREACHED)).toMatchObject({ message: expect.stringMatching(/breach/), extensions: { field: 'password' } });
    expect(await rejection(server, PASSWORD)).toBeUndefined();
    expect(api.asked).toHaveLength(2);
    for (const prefix of api.asked) expect(prefix).toMatch(/^[0-9A-F]{5}$/);
  });

  it('lets sign-ups through when the service is slower than its timeout', async () => {
    const api = await startRangeApi(2_000);
    const server = await startTestServer({ BREACHED_PASSWORD_API: api.url, BREACHED_PASSWORD_TIMEOUT_MS: '200' });
    cleanups.push(() => server.close(), api.close);
    expect(await rejection(server, BREACHED)).toBeUndefined();
  });
});

describe('login timing', () => {
  // The one timing comparison in the suite, made robust to a loaded machine (CI runs two workers on two
  // cores): a real cost, so bcrypt is most of each attempt; pairs run back to back, in alternating order,
  // and the ratio is the median of the pairs' ratios, so a burst of load elsewhere hits both halves of a
  // pair, not one side of the comparison. A missing dummy comparison still gives a ratio near 0.1.
  it('takes as long for an unknown email as for a wrong password', async () => {
    const server = await startTestServer({ BCRYPT_COST: '10' });
    cleanups.push(() => server.close());
    const email = uniqueEmail();
    await server.sdk().Register({ input: { email, password: PASSWORD } });
    const time = async (input: { email: string; password: string }) => {
      const start = process.hrtime.bigint();
      const { body } = await server.post({
        query: 'mutation ($input: LoginInput!) { login(input: $input) { ... on AuthPayload { accessToken } } }',
        variables: { input },
      });
      expect(body.errors?.[0].extensions?.reason).toBe('INVALID_CREDENTIALS');
      return Number(process.hrtime.bigint() - start);
    };
    const ratios: number[] = [];
    for (let i = 0; i < 21; i++) {
      const wrongAttempt = () => time({ email, password: `wrong password ${i}` });
      const unknownAttempt = () => time({ email: uniqueEmail('nobody'), password: `wrong password ${i}` });
      if (i % 2 === 0) {
        const wrong = await wrongAttempt();
        ratios.push((await unknownAttempt()) / wrong);
      } else {
        const unknown = await unknownAttempt();
        ratios.push(unknown / (await wrongAttempt()));
      }
    }
    const ratio = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1.4);
  });
});
