// A second factor as a user's authenticator app would hold it: the secret read from the enrollment, and
// codes computed from it. The server checks codes against its TOTP clock (services.mfa.factors.clock),
// which a test moves step by step with `TotpClock`, so that several sign-ins in one test each have a
// fresh code without waiting 30 seconds, and the ±1 step window can be tested at its edges.
import { totpCode } from '../../src/mfa/totp';
import type { TestServer } from './test-server';
import { PASSWORD } from './test-server';

const STEP_MS = 30_000;

export class TotpClock {
  private offset = 0;

  constructor(server: TestServer) {
    server.gatehouse.services.mfa.factors.clock = () => Date.now() + this.offset;
  }

  /** Moves the server's TOTP clock `steps` 30-second steps on. */
  advance(steps = 1): void {
    this.offset += steps * STEP_MS;
  }

  /** The code an app shows at the server's TOTP time, `steps` away (0: now; -1: the previous step). */
  code(secret: string, steps = 0): string {
    return totpCode(secret, Date.now() + this.offset + steps * STEP_MS);
  }
}

/** Enrolls TOTP for the signed-in `token` and returns the secret and its recovery codes. */
export async function enrollTotp(server: TestServer, clock: TotpClock, token: string) {
  const { startTotpEnrollment } = await server.sdk(token).StartTotpEnrollment();
  const { confirmTotpEnrollment } = await server.sdk(token).ConfirmTotpEnrollment({ code: clock.code(startTotpEnrollment.secret) });
  return { ...startTotpEnrollment, recoveryCodes: confirmTotpEnrollment.codes };
}

/** Logs in a user with a second factor: the challenge, which must come instead of tokens. */
export async function challengeFor(server: TestServer, email: string, password = PASSWORD) {
  const { login } = await server.sdk().Login({ input: { email, password } });
  if (login.__typename !== 'MfaChallenge') throw new Error(`expected a challenge, got ${login.__typename}`);
  return login;
}

/** Signs in with password and TOTP, a step later than the last (each code is accepted once). */
export async function signInWithTotp(server: TestServer, clock: TotpClock, email: string, secret: string) {
  const { challengeToken } = await challengeFor(server, email);
  clock.advance();
  const { verifyMfa } = await server.sdk().VerifyMfa({ input: { challengeToken, method: 'TOTP', code: clock.code(secret) } });
  return verifyMfa;
}
