import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CONSOLE_CSP, registerAdminConsole } from '../../src/http/admin-console';
import { SecurityEvent } from '../../src/events/security-event.entity';
import { SEVERITY, SecurityEventType } from '../../src/events/security-event-type';
import { Session } from '../../src/sessions/session.entity';
import { Role } from '../../src/users/role';
import { User } from '../../src/users/user.entity';
import { launchChromium, screenshotPath } from '../helpers/browser';
import { failure } from '../helpers/failure';
import { enrollTotp, TotpClock } from '../helpers/mfa';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/test-server';

// The admin console at /admin/, end to end: built with Vite (npm run build's step), served by Gatehouse with
// its strict CSP, driven in headless Chromium as an operator would, and checked from outside the browser
// (the SDK) that what it did took effect. Every CSP violation, console error or uncaught exception fails it.

const ROOT = resolve(__dirname, '../..');
const USERS_SCREENSHOT = screenshotPath('admin-users');
const EVENTS_SCREENSHOT = screenshotPath('admin-events');

let server: TestServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  const started = await Promise.allSettled([
    buildConsole(),
    startTestServer({ REFRESH_TOKEN_COOKIE: 'true', SECURITY_EVENT_DEDUPE_WINDOW: '1d' }).then((started) => (server = started)),
    launchChromium().then((launched) => (browser = launched)),
  ]);
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}, 120_000);

afterAll(async () => {
  const closed = await Promise.allSettled([browser?.close(), server?.close()]);
  const failed = closed.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
});

/** `node scripts/build-console.js`, which `npm run build` and every start run: builds only when console/ changed. */
async function buildConsole(): Promise<void> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is nothing Vite needs
  try {
    await promisify(execFile)(process.execPath, ['scripts/build-console.js'], { cwd: ROOT, env, timeout: 100_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`scripts/build-console.js failed: ${(error as Error).message}\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

const gatehouse = (): TestServer => {
  if (!server) throw new Error('Gatehouse did not start');
  return server;
};

const DESKTOP_CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const LAPTOP_FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';

const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { ... on AuthPayload { accessToken } } }`;

/** Signs in from a device (user agent) of its own; returns the access token and its session id. */
async function signInAs(email: string, userAgent: string): Promise<{ token: string; sessionId: string }> {
  const { body } = await gatehouse().post({ query: LOGIN, variables: { input: { email, password: PASSWORD } } }, { 'user-agent': userAgent });
  const token = (body.data?.login as { accessToken?: string } | undefined)?.accessToken;
  if (!token) throw new Error(`login failed: ${JSON.stringify(body)}`);
  return { token, sessionId: gatehouse().gatehouse.services.tokens.verify(token).sid };
}

async function register(email: string, role: Role = Role.USER): Promise<string> {
  const { register: payload } = await gatehouse()
    .sdk()
    .Register({ input: { email, password: PASSWORD } });
  if (role !== Role.USER) await gatehouse().gatehouse.database.orm.em.fork().nativeUpdate(User, { id: payload.user.id }, { role });
  return payload.user.id;
}

/** A failed sign-in from the test (LOGIN_FAILED), as an attacker's would be. */
const failLogin = (email: string) =>
  failure(
    gatehouse()
      .sdk()
      .Login({ input: { email, password: 'not the password at all' } }),
  );

/**
 * A day of earlier traffic, written as rows (the server records only what happens now): sign-ins every
 * hour, a burst of failed logins from two addresses, a refresh-token reuse. The charts have a shape, and the
 * README's picture shows one.
 */
async function seedHistory(userId: string): Promise<{ loginFailed: number }> {
  const em = gatehouse().gatehouse.database.orm.em.fork();
  const hour = 3_600_000;
  const now = Date.now();
  let loginFailed = 0;
  const add = (type: SecurityEventType, hoursAgo: number, count: number, ip: string) => {
    const at = new Date(now - hoursAgo * hour - 5 * 60_000);
    em.create(SecurityEvent, { type, severity: SEVERITY[type], userId, ip, createdAt: at, lastSeenAt: at, count, dedupeKey: randomUUID() });
    if (type === SecurityEventType.LOGIN_FAILED) loginFailed += count;
  };
  for (let hoursAgo = 1; hoursAgo < 23; hoursAgo++) {
    add(SecurityEventType.LOGIN_SUCCEEDED, hoursAgo, 4 + ((hoursAgo * 7) % 9), '198.51.100.7');
    if (hoursAgo % 3 === 0) add(SecurityEventType.SESSION_REVOKED, hoursAgo, 1 + (hoursAgo % 4), '198.51.100.7');
  }
  for (const [hoursAgo, count] of [
    [9, 14],
    [8, 22],
    [7, 9],
  ]) {
    add(SecurityEventType.LOGIN_FAILED, hoursAgo, count, '203.0.113.45');
  }
  add(SecurityEventType.LOGIN_FAILED, 4, 6, '192.0.2.18');
  add(SecurityEventType.REFRESH_TOKEN_REUSE, 5, 1, '192.0.2.18');
  await em.flush();
  return { loginFailed };
}

// The server and its database are this file's alone, so plain addresses are safe (and read well in the screenshots).
const ADMIN = 'ada@example.com';
const TARGET = 'grace@example.com';
let targetId: string;
let adminId: string;
/** LOGIN_FAILED events seeded as history (seedHistory). */
let seededFailures = 0;

beforeAll(async () => {
  adminId = await register(ADMIN, Role.ADMIN);
  targetId = await register(TARGET);
  for (const name of ['alan', 'barbara', 'edsger', 'frances', 'john', 'katherine', 'linus', 'margaret']) await register(`${name}@example.com`);
  await register('root@example.com', Role.ADMIN);
  seededFailures = (await seedHistory(targetId)).loginFailed;
});

describe('the admin console in Chromium', () => {
  const admin = ADMIN;
  const target = TARGET;
  let desktop: { token: string; sessionId: string };
  let laptop: { token: string; sessionId: string };
  /** Failed logins from this test (127.0.0.1): three in beforeAll, then one typed in the console. */
  let failedHere = 3;
  /** Other failures from this address: a revoked session's access token presented (REVOKED_TOKEN_REUSE). */
  let revokedTokensUsed = 0;
  /** WebSocket URLs the page opened. */
  const sockets: string[] = [];
  let context: BrowserContext;
  let page: Page;
  /** Every URL the browser asked for. */
  const requested: string[] = [];
  /** CSP violations, console errors and uncaught exceptions: there must be none. */
  const problems: string[] = [];

  beforeAll(async () => {
    // Grace on two devices, and three failed logins on her account (127.0.0.1, this test).
    desktop = await signInAs(target, DESKTOP_CHROME);
    laptop = await signInAs(target, LAPTOP_FIREFOX);
    for (let i = 0; i < 3; i++) await failLogin(target);

    // A fixed size, locale, time zone and theme: the screenshots look alike on every machine.
    context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'UTC', colorScheme: 'light' });
    // Reported to the console as errors, which fail the test: Chromium also logs violations itself, but an
    // event is certain to be seen whatever the log level.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
      });
    });
    context.on('request', (request) => requested.push(request.url()));
    page = await context.newPage();
    page.on('websocket', (socket) => sockets.push(socket.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(`${gatehouse().baseUrl}/admin`);
  });

  afterAll(() => context?.close());

  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  const settled = (state: 'signed-in' | 'signed-out' | 'mfa') => page.waitForSelector(`body[data-state="${state}"][aria-busy="false"]`);
  const text = async (selector: string) => (await page.locator(selector).textContent())?.trim() ?? '';

  async function signIn(email: string, password: string): Promise<void> {
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(password);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('body[aria-busy="false"]');
  }

  it('is served at /admin/ and asks for a sign-in', async () => {
    await settled('signed-out');
    expect(page.url()).toBe(`${gatehouse().baseUrl}/admin/`);
    expect(await page.title()).toBe('Gatehouse · Admin console');
  });

  it('says why a sign-in failed, and turns away a user who is not an admin', async () => {
    await signIn(admin, 'not the password at all');
    await settled('signed-out');
    expect(await text('#sign-in-status')).toBe('UNAUTHENTICATED · INVALID_CREDENTIALS: Invalid email or password.');
    failedHere += 1;
    expect(await page.locator('#sign-in-status').getAttribute('role')).toBe('alert');

    await signIn('alan@example.com', PASSWORD);
    await settled('signed-out');
    expect(await text('#sign-in-status')).toBe('Admins only: alan@example.com is a USER, and this console is for Gatehouse administrators.');
    // And the session that sign-in made is ended (logout), not left behind.
    const em = gatehouse().gatehouse.database.orm.em.fork();
    const alan = await em.findOneOrFail(User, { email: 'alan@example.com' });
    const sessions = await em.find(Session, { user: alan.id });
    // (register's own session, and the console's, ended by its logout)
    expect(sessions.map((session) => session.revokedReason).sort()).toEqual(['LOGOUT', null]);
  });

  it('signs an admin in, keeping the access token in memory and the refresh token in an HttpOnly cookie', async () => {
    await signIn(admin, PASSWORD);
    await settled('signed-in');
    expect(await text('#whoami')).toBe(admin);
    await page.waitForSelector('#live[data-live="live"]');
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])).toEqual([0, 0, '']);
    const cookie = (await context.cookies(gatehouse().graphqlUrl)).find((entry) => entry.name === 'gatehouse_refresh');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/graphql' });
  });

  it('stays signed in across a reload, through the refresh cookie', async () => {
    await page.reload();
    await settled('signed-in');
    expect(await text('#whoami')).toBe(admin);
  });

  it('refreshes once, and retries, when Gatehouse answers TOKEN_EXPIRED', async () => {
    // Instead of waiting 15 minutes, the requests that carry the page's current token go out with that token
    // re-signed as issued an hour ago (same user, same session): the TOKEN_EXPIRED is Gatehouse's own answer.
    const { tokens } = gatehouse().gatehouse.services;
    let stale: string | undefined;
    const reasons: unknown[] = [];
    await page.route(gatehouse().graphqlUrl, async (route) => {
      const token = route
        .request()
        .headers()
        .authorization?.replace(/^Bearer /, '');
      stale ??= token;
      if (!token || token !== stale) return route.continue();
      const { sub, sid, role } = tokens.verify(token);
      const expired = tokens.issue({ id: sub, role }, sid, Date.now() - 3_600_000).token;
      const response = await route.fetch({ headers: { ...route.request().headers(), authorization: `Bearer ${expired}` } });
      const body = (await response.json()) as { errors?: { extensions?: { reason?: string } }[] };
      reasons.push(body.errors?.[0]?.extensions?.reason);
      await route.fulfill({ response });
    });
    const search = page.getByRole('search', { name: 'Search users' });
    await search.getByRole('button', { name: 'Search' }).click();
    await page.waitForSelector('body[aria-busy="false"]');
    await page.unrouteAll();
    expect(reasons).toEqual(['TOKEN_EXPIRED']);
    expect(await page.locator('#users-status').isHidden()).toBe(true);
    expect(await page.locator('#users-table tbody tr').count()).toBeGreaterThan(1);
    expect(await text('#whoami')).toBe(admin);
  });

  it('finds a user by search and opens their profile', async () => {
    const search = page.getByRole('search', { name: 'Search users' });
    await search.getByRole('searchbox').fill('grace');
    await search.getByRole('button', { name: 'Search' }).click();
    await page.waitForSelector('body[aria-busy="false"]');
    const rows = page.locator('#users-table tbody tr');
    expect(await rows.count()).toBe(1);
    await rows.getByRole('link', { name: target }).click();
    await page.waitForSelector(`#user-detail[data-user-id="${targetId}"]`);
    await page.waitForSelector('body[aria-busy="false"]');
    expect(await text('#user-email')).toBe(target);
    expect(await text('#user-profile')).toContain('RoleUSER');
  });
  it('revokes one of their sessions, and its access token stops working at once', async () => {
    const rows = page.locator('#user-sessions tbody tr');
    // register's own session, and the two devices
    expect(await rows.count()).toBe(3);
    expect(await text(`#user-sessions tr[data-session-id="${laptop.sessionId}"] td:first-child`)).toBe('Firefox 128 on Windows');
    await page
      .locator(`#user-sessions tr[data-session-id="${laptop.sessionId}"]`)
      .getByRole('button', { name: /^Revoke/ })
      .click();
    await page.waitForSelector(`#user-sessions tr[data-session-id="${laptop.sessionId}"]`, { state: 'detached' });
    await page.waitForSelector('body[aria-busy="false"]');
    expect(await text('#user-status')).toBe('Revoked the session of Firefox 128 on Windows.');
    expect(await rows.count()).toBe(2);

    // Outside the browser: the revoked session's token is refused, the other device's still works.
    expect((await failure(gatehouse().sdk(laptop.token).Me())).reason).toBe('TOKEN_REVOKED');
    revokedTokensUsed += 1;
    expect((await gatehouse().sdk(desktop.token).Me()).me.email).toBe(target);

    await mkdir(dirname(USERS_SCREENSHOT), { recursive: true });
    expect((await page.screenshot({ path: USERS_SCREENSHOT, fullPage: true })).length).toBeGreaterThan(10_000);
  });

  it('disables the user: every token of theirs stops working', async () => {
    await page.getByRole('button', { name: 'Disable account' }).click();
    await page.waitForSelector('#user-status[data-state="ok"]');
    await page.waitForSelector('body[aria-busy="false"]');
    expect(await text('#user-status')).toBe(`Disabled ${target}: every session of theirs has ended.`);
    expect(await text('#user-profile')).toContain('Statusdisabled');
    expect(await text('#users-table tbody tr[aria-current="true"] td:nth-child(3)')).toBe('disabled');
    await page.waitForSelector('#user-sessions td.empty');

    expect((await failure(gatehouse().sdk(desktop.token).Me())).reason).toBe('TOKEN_REVOKED');
    revokedTokensUsed += 1;
    // Nor can they sign in again (with the right password: not a failed login).
    expect(
      (
        await failure(
          gatehouse()
            .sdk()
            .Login({ input: { email: target, password: PASSWORD } }),
        )
      ).reason,
    ).toBe('USER_DISABLED');

    await page.getByRole('button', { name: 'Enable account' }).click();
    await page.waitForSelector('#user-status[data-state="ok"]');
    expect(await text('#user-status')).toBe(`Enabled ${target}.`);
  });

  it('changes a role, and says clearly why the last admin cannot lose theirs', async () => {
    const root = await gatehouse().gatehouse.database.orm.em.fork().findOneOrFail(User, { email: 'root@example.com' });
    await page.goto(`${gatehouse().baseUrl}/admin/#/users/${root.id}`);
    await page.waitForSelector(`#user-detail[data-user-id="${root.id}"]`);
    await page.locator('#user-detail').getByLabel('Role').selectOption('USER');
    await page.getByRole('button', { name: 'Change role' }).click();
    await page.waitForSelector('#user-status[data-state]:not([hidden])');
    expect(await text('#user-status')).toBe('root@example.com is now USER.');

    const ada = await gatehouse().gatehouse.database.orm.em.fork().findOneOrFail(User, { email: admin });
    await page.goto(`${gatehouse().baseUrl}/admin/#/users/${ada.id}`);
    await page.waitForSelector(`#user-detail[data-user-id="${ada.id}"]`);
    await page.waitForSelector('body[aria-busy="false"]');
    await page.locator('#user-detail').getByLabel('Role').selectOption('USER');
    await page.getByRole('button', { name: 'Change role' }).click();
    await page.waitForSelector('#user-status[data-state="error"]');
    expect(await text('#user-status')).toBe(
      'This is the last enabled admin: make another user ADMIN first. (LAST_ADMIN: At least one enabled ADMIN must remain.)',
    );
    expect(await page.locator('#user-status').getAttribute('role')).toBe('alert');
  });

  it('charts the failed logins, with the failures in their own colour, and adds new ones live', async () => {
    await page.getByRole('link', { name: 'Security events' }).click();
    const loginFailed = '#chart-events tr[data-type="LOGIN_FAILED"]';
    await page.waitForSelector(loginFailed, { state: 'attached' });
    expect(await page.locator(loginFailed).getAttribute('data-total')).toBe(String(seededFailures + failedHere));
    expect(await page.locator('#chart-events').getAttribute('data-bucket')).toBe('HOUR');
    // 24 or 25 hourly buckets (the window's ends fall inside hours), every one listed, zeros too.
    const buckets = await page.locator(`${loginFailed} td`).count();
    expect(buckets - 1).toBeGreaterThanOrEqual(24);
    // The failures' rows come first and are marked as failures.
    expect(await page.locator('#chart-events tbody tr').first().getAttribute('data-type')).toBe('LOGIN_FAILED');
    expect(await page.locator(loginFailed).getAttribute('class')).toBe('failure');
    // The top failure sources: the seeded burst first, then this test's address.
    expect(await page.locator('#chart-sources tr[data-ip="203.0.113.45"]').getAttribute('data-count')).toBe('45');
    expect(await page.locator('#chart-sources tr[data-ip="127.0.0.1"]').getAttribute('data-count')).toBe(String(failedHere + revokedTokensUsed));
    // The canvas was drawn (Chart.js sized it through the CSSOM, which the CSP allows).
    expect(await page.locator('#chart-events canvas').evaluate((canvas: HTMLCanvasElement) => canvas.width > 0 && canvas.height > 0)).toBe(true);

    // A failed login now, from outside: the subscription brings it, the chart and the table are read again.
    await failLogin(target);
    failedHere += 1;
    await page.waitForSelector(`${loginFailed}[data-total="${seededFailures + failedHere}"]`, { state: 'attached' });
    await page.waitForSelector('#events-table tbody tr[data-type="LOGIN_FAILED"]');
    // Each admin action names the admin who did it.
    expect(await page.locator('#events-table tr[data-type="USER_DISABLED"] [data-by]').getAttribute('data-by')).toBe(adminId);

    // The data table is there for everyone who asks.
    await page.locator('#chart-events').getByRole('button', { name: 'Show the data' }).click();
    expect(await page.locator(`${loginFailed} th`).isVisible()).toBe(true);
    await page.locator('#chart-events').getByRole('button', { name: 'Hide the data' }).click();

    await mkdir(dirname(EVENTS_SCREENSHOT), { recursive: true });
    expect((await page.screenshot({ path: EVENTS_SCREENSHOT, fullPage: true })).length).toBeGreaterThan(10_000);
  });

  it('filters the events table by type and user', async () => {
    const form = page.getByRole('form', { name: 'Filter events' });
    await form.getByLabel('Type').selectOption('REFRESH_TOKEN_REUSE');
    await form.getByLabel('User ID').fill(targetId);
    await form.getByRole('button', { name: 'Filter' }).click();
    await page.waitForSelector('body[aria-busy="false"]');
    await page.waitForFunction(() => document.querySelectorAll('#events-table tbody tr').length === 1);
    expect(await page.locator('#events-table tbody tr').getAttribute('data-type')).toBe('REFRESH_TOKEN_REUSE');
    await form.getByRole('button', { name: 'Clear' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#events-table tbody tr').length > 1);
  });

  it('asked for nothing from anywhere but this server, and opened its socket there', () => {
    const elsewhere = requested.filter((url) => !url.startsWith(`${gatehouse().baseUrl}/`) && !/^(data|blob):/.test(url));
    expect(elsewhere).toEqual([]);
    expect(sockets.length).toBeGreaterThan(0);
    expect(new Set(sockets)).toEqual(new Set([gatehouse().graphqlUrl.replace(/^http/, 'ws')]));
  });
});

describe('the second factor in the console', () => {
  const admin = ADMIN;
  let clock: TotpClock;
  let adaSecret: string;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  async function open(): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'UTC' });
    contexts.push(context);
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective}`));
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(`${gatehouse().baseUrl}/admin/`);
    await page.waitForSelector('body[data-state="signed-out"][aria-busy="false"]');
    return page;
  }

  async function signIn(page: Page, email: string): Promise<void> {
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForSelector('body[aria-busy="false"]:not([data-state="signed-out"])');
  }

  beforeAll(() => {
    clock = new TotpClock(gatehouse());
  });
  afterAll(() => Promise.all(contexts.map((context) => context.close())));
  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  it('asks for the password and code before resetting a user’s second factor, then does it', async () => {
    // Signed in with the password only, before enrolling: this session is not enough for the reset.
    const page = await open();
    await signIn(page, admin);
    await page.waitForSelector('body[data-state="signed-in"]');
    adaSecret = (await enrollTotp(gatehouse(), clock, (await signInAs(admin, DESKTOP_CHROME)).token)).secret;
    const katherine = await signInAs('katherine@example.com', DESKTOP_CHROME);
    await enrollTotp(gatehouse(), clock, katherine.token);
    const { user } = await gatehouse()
      .sdk(katherine.token)
      .Me()
      .then(({ me }) => ({ user: me }));

    await page.goto(`${gatehouse().baseUrl}/admin/#/users/${user.id}`);
    await page.waitForSelector(`#user-detail[data-user-id="${user.id}"]`);
    expect(await page.locator('#user-profile').textContent()).toContain('Second factorenabled');
    await page.getByRole('button', { name: 'Reset second factor' }).click();

    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.waitFor();
    expect(await dialog.locator('#reauth-why').textContent()).toBe(
      'This change needs a recent sign-in: confirm your password (and second factor) and try again.',
    );
    clock.advance();
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByLabel('Code').fill(clock.code(adaSecret));
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForSelector('#user-status[data-state="ok"]');
    expect(await page.locator('#user-status').textContent()).toBe(
      'The second factor of katherine@example.com is reset: they sign in with their password alone until they enroll again.',
    );
    expect(await page.locator('#user-profile').textContent()).toContain('Second factornone');
    // Outside the browser: katherine's password alone signs her in now.
    const { login } = await gatehouse()
      .sdk()
      .Login({ input: { email: 'katherine@example.com', password: PASSWORD } });
    expect(login.__typename).toBe('AuthPayload');
  });

  it('signs an admin with a second factor in with their code, and says why a wrong one failed', async () => {
    const page = await open();
    await signIn(page, admin);
    await page.waitForSelector('body[data-state="mfa"]');
    const form = page.getByRole('form', { name: 'Second factor' });
    // Not the current code (a neighbouring step's code matches it one time in a million).
    const wrong = String((Number(clock.code(adaSecret)) + 500_000) % 1_000_000).padStart(6, '0');
    await form.getByLabel('Code').fill(wrong);
    await form.getByRole('button', { name: 'Verify' }).click();
    await page.waitForSelector('#sign-in-status[data-state="error"]');
    expect(await page.locator('#sign-in-status').textContent()).toMatch(/^UNAUTHENTICATED · MFA_CODE_INVALID: /);

    clock.advance();
    await form.getByLabel('Code').fill(clock.code(adaSecret));
    await form.getByRole('button', { name: 'Verify' }).click();
    await page.waitForSelector('body[data-state="signed-in"][aria-busy="false"]');
    expect(await page.locator('#whoami').textContent()).toBe(admin);
  });
});

describe('the files of /admin/', () => {
  it('carry the exact CSP, and nothing hidden or outside the folder is served', async () => {
    expect(CONSOLE_CSP).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    const index = await fetch(`${gatehouse().baseUrl}/admin/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await index.text();
    // No inline script or style: every <script> has a src, and no element has a style attribute.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/<style/);
    const assets = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((match) => match[1]);
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    expect(assets.some((asset) => asset.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const response = await fetch(`${gatehouse().baseUrl}/admin/${asset}`);
      expect([asset, response.status, response.headers.get('content-security-policy')]).toEqual([asset, 200, CONSOLE_CSP]);
      await response.arrayBuffer();
    }
    const redirect = await fetch(`${gatehouse().baseUrl}/admin`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(new URL(redirect.headers.get('location')!, redirect.url).href).toBe(`${gatehouse().baseUrl}/admin/`);
    for (const path of ['/admin/.source-hash', '/admin/..%2F..%2Fpackage.json', '/admin/assets/nothing.js']) {
      expect([path, (await fetch(`${gatehouse().baseUrl}${path}`)).status]).toEqual([path, 404]);
    }
  });
  it('answers how to build them while they are not built', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'gatehouse-console-'));
    const fastify = Fastify();
    try {
      registerAdminConsole(fastify, empty);
      const response = await fetch(`${await fastify.listen({ host: '127.0.0.1', port: 0 })}/admin/`);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await response.text()).toContain('run `npm run build`');
    } finally {
      await fastify.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('ADMIN_CONSOLE', () => {
  it('is served in production too, and not at all with ADMIN_CONSOLE=false', async () => {
    const production = await startTestServer({ NODE_ENV: 'production', BCRYPT_COST: '10' });
    const off = await startTestServer({ ADMIN_CONSOLE: 'false' }).catch(async (error: unknown) => {
      await production.close();
      throw error;
    });
    try {
      const served = await fetch(`${production.baseUrl}/admin/`);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      await served.arrayBuffer();
      for (const path of ['/admin', '/admin/', '/admin/index.html']) {
        expect([path, (await fetch(`${off.baseUrl}${path}`, { redirect: 'manual' })).status]).toEqual([path, 404]);
      }
    } finally {
      await Promise.all([production.close(), off.close()]);
    }
  });
});
