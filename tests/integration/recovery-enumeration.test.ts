import { performance } from 'node:perf_hooks';
import { User } from '../../src/users/user.entity';
import { factories } from '../helpers/factories';
import { failure } from '../helpers/failure';
import { openMailbox, startServerWithMailbox } from '../helpers/mailbox';
import { uniqueEmail, type TestServer } from '../helpers/test-server';

// requestPasswordReset and resendVerificationEmail answer `true` for every address, with the same work,
// the same limits and, measured, the same time whether or not it has an account.

let server: TestServer;
beforeAll(async () => {
  server = await startServerWithMailbox({ RATE_LIMIT_MAIL_ADDRESS: '1000/1h' });
});
afterAll(() => server?.close());

const { em, signUp } = factories(() => server);

/** The SQL one request runs (parameters aside), the mail outbox's own row left out: the one write that differs. */
async function statementsOf(request: () => Promise<unknown>): Promise<string[]> {
  const execute = jest.spyOn(server.gatehouse.database.orm.em.getConnection(), 'execute');
  try {
    await request();
    return execute.mock.calls.map(([sql]) => String(sql).replace(/\s+/g, ' ').trim()).filter((sql) => !sql.includes('mail_outbox'));
  } finally {
    execute.mockRestore();
  }
}

describe('the same work for every address', () => {
  it.each([
    ['requestPasswordReset', (email: string) => server.sdk().RequestPasswordReset({ email })],
    ['resendVerificationEmail', (email: string) => server.sdk().ResendVerificationEmail({ email })],
  ] as const)('%s runs the same statements for a known, an unknown and a disabled address', async (_name, request) => {
    const known = await signUp('same-known');
    const disabled = await signUp('same-disabled');
    await em().nativeUpdate(User, { id: disabled.id }, { disabledAt: new Date() });
    const runs = [];
    for (const email of [known.email, uniqueEmail('same-nobody'), disabled.email]) runs.push(await statementsOf(() => request(email)));
    expect(runs[0].length).toBeGreaterThan(0);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });
});

describe('timing', () => {
  // The work is equal by construction (above); this measures what a client sees, as a ratio with generous
  // bounds: the median time of a request for a known address over that of an unknown one.
  it('requestPasswordReset takes as long for a known as for an unknown address', async () => {
    const known = await signUp('timing');
    const unknown = uniqueEmail('timing-nobody');
    const time = async (email: string) => {
      const start = performance.now();
      await server.sdk().RequestPasswordReset({ email });
      return performance.now() - start;
    };
    // Warm-up, then interleaved so that load on the machine falls on both alike.
    for (let i = 0; i < 5; i++) await Promise.all([time(known.email), time(unknown)]);
    const samples: { known: number[]; unknown: number[] } = { known: [], unknown: [] };
    for (let i = 0; i < 40; i++) {
      samples.known.push(await time(known.email));
      samples.unknown.push(await time(unknown));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const ratio = median(samples.known) / median(samples.unknown);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    expect((await openMailbox(server).all(unknown)).length).toBe(0);
  });
});

describe('limits', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startServerWithMailbox({ RATE_LIMIT_MAIL_ADDRESS: '3/1h', RATE_LIMIT_PASSWORD_RESET_REQUEST_IP: '12/1h' });
  });
  afterAll(() => limited?.close());

  it('limits mails per address alike for known and unknown addresses, across the request mutations', async () => {
    const { signUp: signUpThere } = factories(() => limited);
    const known = await signUpThere('limit-known');
    const unknown = uniqueEmail('limit-nobody');
    const answers = async (email: string) => {
      const seen = [];
      for (const request of [
        () => limited.sdk().RequestPasswordReset({ email }),
        () => limited.sdk().ResendVerificationEmail({ email }),
        () => limited.sdk().RequestPasswordReset({ email }),
        () => limited.sdk().RequestPasswordReset({ email }),
      ]) {
        seen.push(
          await request().then(
            () => 'true',
            (error: { code?: string; errors?: { extensions?: { retryAfter?: number } }[] }) =>
              `${error.code}:${(error.errors?.[0]?.extensions?.retryAfter ?? 0) > 0}`,
          ),
        );
      }
      return seen;
    };
    const expected = ['true', 'true', 'true', 'RATE_LIMITED:true'];
    expect(await answers(known.email)).toEqual(expected);
    expect(await answers(unknown)).toEqual(expected);
    // The limit is per address: another one is not affected.
    expect(await limited.sdk().RequestPasswordReset({ email: uniqueEmail('limit-other') })).toEqual({ requestPasswordReset: true });
    // Only three mails went to the known address (two resets, one verification). The dispatcher sends
    // in parallel, so they may arrive in any order.
    expect((await openMailbox(limited).all(known.email)).map((mail) => mail.template).sort()).toEqual([
      'resetPassword',
      'resetPassword',
      'verifyEmail',
    ]);
  });

  it('limits requests per client IP, whatever the address', async () => {
    // 12 an hour from this IP, some spent above: fresh addresses each time, so only the IP's limit can refuse.
    let allowed = 0;
    let refused: Awaited<ReturnType<typeof failure>> | undefined;
    while (!refused && allowed <= 12) {
      try {
        await limited.sdk().RequestPasswordReset({ email: uniqueEmail('ip') });
        allowed++;
      } catch (error) {
        refused = error as Awaited<ReturnType<typeof failure>>;
      }
    }
    expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
    expect(allowed).toBeLessThan(12);
  });
});
