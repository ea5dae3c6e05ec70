import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, type Page, type Request, type Response } from 'playwright-core';
import { startStaticServer, type StaticServer } from '../helpers/static-server';
import { launchChromium, screenshotPath } from '../helpers/browser';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server';
import { TotpClock } from '../helpers/mfa';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/test-server';

// examples/web end to end: built with Vite, served as static files, driven in headless Chromium against a
// real Gatehouse with the refresh cookie on. The steps run in order on one account, each building on the last.

const ROOT = resolve(__dirname, '../..');
const SCREENSHOT = screenshotPath('web-example');

let outDir: string | undefined;
let app: StaticServer | undefined;
let server: TestServer | undefined;
let browser: Browser | undefined;
let smtp: TestSmtpServer | undefined;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'gatehouse-web-'));
  // The app's origin must be known before Gatehouse starts (CORS_ORIGINS); the files can come later.
  app = await startStaticServer(outDir);
  const origin = app.origin;
  // Gatehouse mails its links to a real SMTP server, pointing at this app (APP_URL).
  smtp = await startSmtpServer();
  const started = await Promise.allSettled([
    buildApp(outDir),
    startTestServer({ CORS_ORIGINS: origin, REFRESH_TOKEN_COOKIE: 'true', SMTP_URL: smtp.url, APP_URL: origin }).then(
      (started) => (server = started),
    ),
    launchChromium().then((launched) => (browser = launched)),
  ]);
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  // Written after the build, which empties outDir: points this build at this server.
  await writeFile(join(outDir, 'config.json'), JSON.stringify({ graphqlUrl: gatehouse().graphqlUrl }));
}, 120_000);

afterAll(async () => {
  // Everything that started, whatever failed: allSettled, so one failure does not leave the rest running.
  const closed = await Promise.allSettled([browser?.close(), server?.close().then(() => smtp?.close()), app?.close()]);
  if (outDir) await rm(outDir, { recursive: true, force: true });
  const failed = closed.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
});

// Vite is ESM-only and jest runs CommonJS: build in a child process, as `npx vite build` would.
async function buildApp(into: string): Promise<void> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is nothing Vite needs
  try {
    await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'examples/web', '--outDir', into, '--emptyOutDir', '--logLevel', 'warn'],
      { cwd: ROOT, env, timeout: 90_000 },
    );
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`vite build examples/web failed: ${(error as Error).message}\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

const gatehouse = (): TestServer => {
  if (!server) throw new Error('Gatehouse did not start');
  return server;
};

/** The GraphQL operations each page sent, in order, by operationName. */
const operations = new WeakMap<Page, string[]>();
/** Uncaught exceptions in any page; checked after every test. */
const pageErrors: Error[] = [];

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

// Two "devices" the sessions list can tell apart (headless Chromium would be "Headless Chrome" twice).
const DESKTOP_CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const LAPTOP_FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';

async function openApp(userAgent: string): Promise<{ context: BrowserContext; page: Page }> {
  if (!browser || !app) throw new Error('beforeAll did not finish');
  // A fixed locale and time zone: the screenshot looks alike on every machine.
  const context = await browser.newContext({ viewport: { width: 960, height: 600 }, locale: 'en-US', timezoneId: 'UTC', userAgent });
  const page = await context.newPage();
  const sent: string[] = [];
  operations.set(page, sent);
  page.on('pageerror', (error) => pageErrors.push(error));
  page.on('request', (request) => {
    const name = operationName(request);
    if (name) sent.push(name);
  });
  await page.goto(`${app.origin}/`);
  return { context, page };
}

function operationName(request: Request): string | undefined {
  if (request.url() !== gatehouse().graphqlUrl || request.method() !== 'POST') return undefined;
  return (request.postDataJSON() as { operationName?: string } | null)?.operationName;
}

const sentSince = (page: Page, count: number): string[] => operations.get(page)!.slice(count);
const sentSoFar = (page: Page): number => operations.get(page)!.length;

/** The next response to `name` from Gatehouse, parsed. Call before the action that sends it. */
async function nextResponse(page: Page, name: string): Promise<GraphQLBody> {
  const response: Response = await page.waitForResponse((candidate) => operationName(candidate.request()) === name);
  return (await response.json()) as GraphQLBody;
}

interface GraphQLBody {
  data?: Record<string, Record<string, unknown>> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

// The app marks its screen in <body data-state> and a request in progress in aria-busy. The handlers set
// aria-busy synchronously on click, so waiting for "false" after a click waits for that action to finish.
const settledOn = (page: Page, state: 'signed-in' | 'signed-out' | 'forgot' | 'reset' | 'mfa') =>
  page.waitForSelector(`body[data-state="${state}"][aria-busy="false"]`);

async function submit(page: Page, form: 'Log in' | 'Create an account', email: string, password: string): Promise<void> {
  const scope = page.getByRole('form', { name: form });
  await scope.getByLabel('Email').fill(email);
  await scope.getByLabel('Password').fill(password);
  await scope.locator('button[type="submit"]').click();
}

const mail = (): TestSmtpServer => {
  if (!smtp) throw new Error('the SMTP server did not start');
  return smtp;
};

/** The link to `page` of this app in a mail's text (Gatehouse's links carry the token in the fragment). */
function linkIn(text: string, page: 'reset-password' | 'verify-email'): string {
  const link = new RegExp(`${app!.origin}/${page}#token=[A-Za-z0-9_-]{43,}`).exec(text)?.[0];
  if (!link) throw new Error(`no ${page} link in the mail: ${text}`);
  return link;
}

const textOf = async (page: Page, selector: string) => (await page.locator(selector).textContent())?.trim() ?? '';
const sessionRows = (page: Page) => page.locator('#sessions > li');
const currentRow = (page: Page) => page.locator('#sessions > li[aria-current="true"]');
const refreshCookie = async (context: BrowserContext) =>
  (await context.cookies(gatehouse().graphqlUrl)).find((cookie) => cookie.name === 'gatehouse_refresh');

describe('examples/web in Chromium against Gatehouse', () => {
  // The server and its database are this file's alone, so a plain address is safe (and reads well in the screenshot).
  const email = 'ada@example.com';
  let context: BrowserContext;
  let page: Page;

  it('creates an account and shows it, keeping every token out of reach of the page', async () => {
    ({ context, page } = await openApp(DESKTOP_CHROME));
    await settledOn(page, 'signed-out');

    const registered = nextResponse(page, 'Register');
    await submit(page, 'Create an account', email, PASSWORD);
    await settledOn(page, 'signed-in');
    expect(await textOf(page, '#me-email')).toBe(email);
    expect(await textOf(page, '#me-role')).toBe('USER');
    expect(await sessionRows(page).count()).toBe(1);
    expect(await currentRow(page).textContent()).toContain('This browser');

    // The access token is held in a variable: not in the DOM, not in web storage.
    const accessToken = (await registered).data!.register.accessToken as string;
    expect(accessToken).toMatch(/^ey/);
    expect(await page.content()).not.toContain(accessToken);
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])).toEqual([0, 0, '']);
    // The refresh token is a cookie scripts cannot read, sent to the GraphQL endpoint only.
    expect(await refreshCookie(context)).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/graphql' });
  });

  it('is still signed in after a reload, through the refresh cookie alone', async () => {
    const before = sentSoFar(page);
    await page.reload();
    await settledOn(page, 'signed-in');
    expect(await textOf(page, '#me-email')).toBe(email);
    // No login: one refresh, then the account (me, its second factor, the sessions).
    expect(sentSince(page, before).sort()).toEqual(['Me', 'MySecondFactor', 'Passkeys', 'Refresh', 'Sessions']);
  });

  it('refreshes once, and retries, when Gatehouse answers TOKEN_EXPIRED', async () => {
    // Access tokens live 15 minutes. Instead of waiting, the requests that carry the page's current token
    // go out with that token re-signed as issued an hour ago (same user, same session), so the
    // TOKEN_EXPIRED the page gets is Gatehouse's own answer.
    const { tokens } = gatehouse().gatehouse.services;
    let stale: string | undefined;
    const reasons: unknown[] = [];
    await page.route(gatehouse().graphqlUrl, async (route) => {
      const token = route
        .request()
        .headers()
        .authorization?.replace(/^Bearer /, '');
      stale ??= token;
      if (!token || token !== stale || operationName(route.request()) === 'Refresh') return route.continue();
      const { sub, sid, role } = tokens.verify(token);
      const expired = tokens.issue({ id: sub, role }, sid, Date.now() - 3_600_000).token;
      const response = await route.fetch({ headers: { ...route.request().headers(), authorization: `Bearer ${expired}` } });
      reasons.push(((await response.json()) as GraphQLBody).errors?.[0]?.extensions?.reason);
      await route.fulfill({ response });
    });

    const before = sentSoFar(page);
    // Reload sends me, its second factor, passkeys and sessions at once: all fail, and must share one refresh (its token works once).
    await page.getByRole('button', { name: 'Reload' }).click();
    await settledOn(page, 'signed-in');
    await page.unrouteAll();

    expect(reasons).toEqual(['TOKEN_EXPIRED', 'TOKEN_EXPIRED', 'TOKEN_EXPIRED', 'TOKEN_EXPIRED']);
    expect(sentSince(page, before).sort()).toEqual([
      'Me',
      'Me',
      'MySecondFactor',
      'MySecondFactor',
      'Passkeys',
      'Passkeys',
      'Refresh',
      'Sessions',
      'Sessions',
    ]);
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect(await textOf(page, '#me-email')).toBe(email);
  });

  it('lists a second session, and revoking it ends it on the server at once', async () => {
    const other = await openApp(LAPTOP_FIREFOX);
    await settledOn(other.page, 'signed-out');

    // Errors show their code and reason.
    await submit(other.page, 'Log in', email, 'not the password at all');
    await settledOn(other.page, 'signed-out');
    expect(await textOf(other.page, '#error')).toMatch(/^UNAUTHENTICATED · INVALID_CREDENTIALS Invalid email or password\.$/);

    const loggedIn = nextResponse(other.page, 'Login');
    await submit(other.page, 'Log in', email, PASSWORD);
    await settledOn(other.page, 'signed-in');
    expect(await other.page.locator('#error').isHidden()).toBe(true);
    const otherToken = (await loggedIn).data!.login.accessToken as string;
    const otherId = await currentRow(other.page).getAttribute('data-session-id');
    expect(otherId).toBeTruthy();

    await page.getByRole('button', { name: 'Reload' }).click();
    await settledOn(page, 'signed-in');
    expect(await sessionRows(page).count()).toBe(2);
    expect(await currentRow(page).count()).toBe(1);
    expect(await currentRow(page).getAttribute('data-session-id')).not.toBe(otherId);
    expect(await textOf(page, '#sessions > li[aria-current="true"] .device')).toBe('Chrome 126 on Linux');
    expect(await textOf(page, `#sessions > li[data-session-id="${otherId}"] .device`)).toBe('Firefox 128 on Windows');
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    expect((await page.screenshot({ path: SCREENSHOT, fullPage: true })).length).toBeGreaterThan(10_000);

    await page
      .locator(`#sessions > li[data-session-id="${otherId}"]`)
      .getByRole('button', { name: /^Revoke/ })
      .click();
    await settledOn(page, 'signed-in');
    expect(await sessionRows(page).count()).toBe(1);
    expect(await currentRow(page).count()).toBe(1);

    // Gatehouse refuses the revoked session's access token from now on...
    const refused = await gatehouse()
      .sdk(otherToken)
      .Me()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' } }] });
    // ...and the other browser drops to the sign-in screen at once, told by its live socket, saying why...
    await settledOn(other.page, 'signed-out');
    expect(await textOf(other.page, '#notice')).toBe('Signed out: this session was ended elsewhere (REVOKED_BY_USER).');
    // ...and its refresh cookie no longer signs it in.
    const refresh = nextResponse(other.page, 'Refresh');
    await other.page.reload();
    await settledOn(other.page, 'signed-out');
    expect((await refresh).errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'SESSION_REVOKED' });
    await other.context.close();
  });

  it('signs out another browser of the account at once when one ends all sessions (logout ALL), with no request of its own', async () => {
    const other = await openApp(LAPTOP_FIREFOX);
    await settledOn(other.page, 'signed-out');
    // The live socket is open once the page has sent its subscription (a WebSocket frame, not a request).
    const subscribed = other.page
      .waitForEvent('websocket')
      .then((socket) => socket.waitForEvent('framesent', { predicate: (frame) => String(frame.payload).includes('"subscribe"') }));
    await submit(other.page, 'Log in', email, PASSWORD);
    await settledOn(other.page, 'signed-in');
    await subscribed;
    const before = sentSoFar(other.page);

    await page.getByRole('button', { name: 'End all sessions' }).click();
    await settledOn(page, 'signed-out');
    // The spec's bound: the other browser shows "signed out" within 2 s, without a reload or a request.
    await other.page.waitForSelector('body[data-state="signed-out"]', { timeout: 2_000 });
    expect(await textOf(other.page, '#notice')).toBe('Signed out: this session was ended elsewhere (LOGOUT).');
    expect(sentSince(other.page, before)).toEqual([]);
    await other.context.close();

    // For the steps that follow: signed in again.
    await submit(page, 'Log in', email, PASSWORD);
    await settledOn(page, 'signed-in');
  });

  it('logs out, and a reload leaves it signed out', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await settledOn(page, 'signed-out');
    expect(await textOf(page, '#me-email')).toBe('');
    expect(await page.locator('#error').isHidden()).toBe(true);
    // Logout cleared the cookie: the reload's refresh has nothing to present.
    expect(await refreshCookie(context)).toBeUndefined();

    const refresh = nextResponse(page, 'Refresh');
    await page.reload();
    await settledOn(page, 'signed-out');
    expect((await refresh).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await page.locator('#error').isHidden()).toBe(true);
    await context.close();
  });
  it('verifies the address from the mailed link', async () => {
    ({ context, page } = await openApp(DESKTOP_CHROME));
    await submit(page, 'Log in', email, PASSWORD);
    await settledOn(page, 'signed-in');
    expect(await textOf(page, '#me-verified')).toBe('Not yet');

    await page.getByRole('button', { name: 'Send verification link' }).click();
    await settledOn(page, 'signed-in');
    expect(await textOf(page, '#notice')).toMatch(/verification link is on its way/);
    const link = linkIn((await mail().nextMail(email)).text, 'verify-email');

    await page.goto(link);
    await settledOn(page, 'signed-in');
    expect(await textOf(page, '#notice')).toBe(`${email} is verified.`);
    expect(await textOf(page, '#me-verified')).not.toBe('Not yet');
    expect(await page.locator('#verify').isHidden()).toBe(true);
    // The token left the address bar once read.
    expect(page.url()).toBe(`${app!.origin}/`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await settledOn(page, 'signed-out');
  });

  it('resets a forgotten password from the mailed link, once, and signs every device out', async () => {
    // Another device stays signed in until the reset.
    const other = await openApp(LAPTOP_FIREFOX);
    await submit(other.page, 'Log in', email, PASSWORD);
    await settledOn(other.page, 'signed-in');

    await page.getByRole('button', { name: 'Forgot password?' }).click();
    await settledOn(page, 'forgot');
    const forgot = page.getByRole('form', { name: 'Reset your password' });
    await forgot.getByLabel('Email').fill(email);
    await forgot.getByRole('button', { name: 'Send reset link' }).click();
    await settledOn(page, 'signed-out');
    expect(await textOf(page, '#notice')).toContain(`If ${email} belongs to an account`);

    const received = await mail().nextMail(email);
    expect(received.subject).toMatch(/reset/i);
    const link = linkIn(received.text, 'reset-password');
    const newPassword = `${PASSWORD}-renewed`;
    await page.goto(link);
    await settledOn(page, 'reset');
    expect(page.url()).toBe(`${app!.origin}/`);
    const reset = page.getByRole('form', { name: 'Choose a new password' });
    await reset.getByLabel('New password').fill(newPassword);
    await reset.getByRole('button', { name: 'Set new password' }).click();
    await settledOn(page, 'signed-out');
    expect(await textOf(page, '#notice')).toMatch(/password has been changed/);
    // A notice of the reset follows the link.
    expect((await mail().nextMail(email)).subject).toMatch(/password/i);

    // The other device's session ended with the reset: its live socket drops it to the sign-in screen.
    await settledOn(other.page, 'signed-out');
    expect(await textOf(other.page, '#notice')).toBe('Signed out: this session was ended elsewhere (PASSWORD_RESET).');
    await other.context.close();

    // The old password no longer works; the new one does.
    await submit(page, 'Log in', email, PASSWORD);
    await settledOn(page, 'signed-out');
    expect(await textOf(page, '#error')).toMatch(/INVALID_CREDENTIALS/);
    await submit(page, 'Log in', email, newPassword);
    await settledOn(page, 'signed-in');
    await page.getByRole('button', { name: 'Log out' }).click();
    await settledOn(page, 'signed-out');

    // The link worked once: opened again, it says so, and the page stays on the reset form.
    await page.goto(link);
    await settledOn(page, 'reset');
    await reset.getByLabel('New password').fill(`${newPassword}-again`);
    await reset.getByRole('button', { name: 'Set new password' }).click();
    await settledOn(page, 'reset');
    expect(await textOf(page, '#error')).toMatch(/^BAD_USER_INPUT · TOKEN_INVALID This link/);
    await context.close();
  });
});

describe('a second factor in examples/web', () => {
  const email = 'grace@example.com';

  it('enrolls TOTP with the key shown on the page, signs out, and signs in with a code, then a recovery code', async () => {
    const clock = new TotpClock(gatehouse());
    const { context, page } = await openApp(DESKTOP_CHROME);
    await settledOn(page, 'signed-out');
    await submit(page, 'Create an account', email, PASSWORD);
    await settledOn(page, 'signed-in');
    expect(await textOf(page, '#mfa-status')).toBe('Off.');

    await page.getByRole('button', { name: 'Set up authenticator app' }).click();
    await settledOn(page, 'signed-in');
    // What a user types into their app: the key on the page (the QR code holds the same).
    const secret = await textOf(page, '#mfa-secret');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await page.locator('#mfa-qr').getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    const confirm = page.getByRole('form', { name: 'Confirm authenticator app' });
    await confirm.getByLabel('Code').fill(clock.code(secret));
    await confirm.getByRole('button', { name: 'Turn on' }).click();
    await settledOn(page, 'signed-in');
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect(await textOf(page, '#mfa-status')).toMatch(/^On/);
    const recoveryCodes = await page.locator('#mfa-code-list > li').allTextContents();
    expect(recoveryCodes).toHaveLength(10);
    expect(await textOf(page, '#mfa-secret')).toBe('');

    await page.getByRole('button', { name: 'Log out' }).click();
    await settledOn(page, 'signed-out');
    // The recovery codes do not outlive the screen they were shown on.
    expect(await page.locator('#mfa-code-list > li').count()).toBe(0);

    // The password alone: a challenge, no token yet.
    const challenged = nextResponse(page, 'Login');
    await submit(page, 'Log in', email, PASSWORD);
    await settledOn(page, 'mfa');
    expect((await challenged).data!.login).toMatchObject({ __typename: 'MfaChallenge', methods: ['TOTP', 'RECOVERY_CODE'] });
    expect(await refreshCookie(context)).toBeUndefined();

    const form = page.getByRole('form', { name: 'Two-step verification' });
    await form.getByLabel('Code').fill('000000');
    await form.getByRole('button', { name: 'Verify' }).click();
    await settledOn(page, 'mfa');
    expect(await textOf(page, '#error')).toMatch(/^UNAUTHENTICATED · MFA_CODE_INVALID /);
    clock.advance();
    const verified = nextResponse(page, 'VerifyMfa');
    await form.getByLabel('Code').fill(clock.code(secret));
    await form.getByRole('button', { name: 'Verify' }).click();
    await settledOn(page, 'signed-in');
    expect((await verified).data!.verifyMfa.assurance).toMatchObject({ level: 2, methods: ['pwd', 'otp', 'mfa'] });
    expect(await textOf(page, '#me-email')).toBe(email);
    // Signed in for real: a reload signs back in through the refresh cookie.
    await page.reload();
    await settledOn(page, 'signed-in');

    await page.getByRole('button', { name: 'Log out' }).click();
    await settledOn(page, 'signed-out');
    await submit(page, 'Log in', email, PASSWORD);
    await settledOn(page, 'mfa');
    await form.getByLabel('Code').fill(recoveryCodes[0]);
    await form.getByRole('button', { name: 'Verify' }).click();
    await settledOn(page, 'signed-in');
    expect(await textOf(page, '#me-email')).toBe(email);
    await context.close();
  });
});
