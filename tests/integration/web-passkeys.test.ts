import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshotPath } from '../helpers/browser';
import { startStaticServer, type StaticServer } from '../helpers/static-server';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/test-server';

// examples/web's passkey buttons in headless Chromium with the DevTools virtual authenticator (CTAP2, an
// internal platform authenticator with resident keys and user verification): register a passkey, sign
// out, sign back in with it. WebAuthn needs a domain, not an IP address, as the RP ID: the app and
// Gatehouse are both reached as localhost (same site, so the refresh cookie is sent as in production).

const ROOT = resolve(__dirname, '../..');

let outDir: string | undefined;
let app: StaticServer | undefined;
let server: TestServer | undefined;
let browser: Browser | undefined;
let appOrigin = '';

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'gatehouse-web-passkeys-'));
  app = await startStaticServer(outDir);
  appOrigin = app.origin.replace('127.0.0.1', 'localhost');
  const started = await Promise.allSettled([
    buildApp(outDir),
    startTestServer({
      CORS_ORIGINS: appOrigin,
      REFRESH_TOKEN_COOKIE: 'true',
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: appOrigin,
    }).then((started) => (server = started)),
    launchChromium().then((launched) => (browser = launched)),
  ]);
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  await writeFile(join(outDir, 'config.json'), JSON.stringify({ graphqlUrl: server!.graphqlUrl.replace('127.0.0.1', 'localhost') }));
}, 120_000);

afterAll(async () => {
  const closed = await Promise.allSettled([browser?.close(), server?.close(), app?.close()]);
  if (outDir) await rm(outDir, { recursive: true, force: true });
  const failed = closed.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
});

// Vite is ESM-only and jest runs CommonJS: build in a child process, as web-app.test.ts does.
async function buildApp(into: string): Promise<void> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  await promisify(execFile)(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'examples/web', '--outDir', into, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: ROOT, env, timeout: 90_000 },
  );
}

const settledOn = (page: Page, state: 'signed-in' | 'signed-out') => page.waitForSelector(`body[data-state="${state}"][aria-busy="false"]`);

describe('examples/web with a passkey in Chromium', () => {
  it('registers a passkey, signs out, and signs back in with it', async () => {
    const context = await browser!.newContext({ viewport: { width: 960, height: 700 }, locale: 'en-US', timezoneId: 'UTC' });
    const page = await context.newPage();
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });

    await page.goto(`${appOrigin}/`);
    await settledOn(page, 'signed-out');
    const form = page.getByRole('form', { name: 'Create an account' });
    await form.getByLabel('Email').fill('grace@example.com');
    await form.getByLabel('Password').fill(PASSWORD);
    await form.locator('button[type="submit"]').click();
    await settledOn(page, 'signed-in');

    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForSelector('#passkeys > li');
    await settledOn(page, 'signed-in');
    expect(await page.locator('#passkeys > li').count()).toBe(1);
    expect(await page.locator('#passkeys > li').first().textContent()).toContain('Passkey on this device');
    // The virtual authenticator holds it as a resident (discoverable) credential, with the random user handle.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    expect(Buffer.from(credentials[0].userHandle!, 'base64')).toHaveLength(32);
    await page.screenshot({ path: screenshotPath('web-passkeys') });

    await page.getByRole('button', { name: 'Log out' }).click();
    await settledOn(page, 'signed-out');

    const signedIn = page.waitForResponse(
      (response) => (response.request().postDataJSON() as { operationName?: string } | null)?.operationName === 'LoginWithPasskey',
    );
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const body = (await (await signedIn).json()) as { data?: { loginWithPasskey: { assurance: { level: number; methods: string[] } } } };
    await settledOn(page, 'signed-in');
    expect(await page.locator('#me-email').textContent()).toBe('grace@example.com');
    // A platform authenticator that verified the user: device-bound key, aal 2.
    expect(body.data?.loginWithPasskey.assurance).toMatchObject({ level: 2, methods: ['hwk', 'mfa'] });
    const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(after.credentials[0].signCount).toBeGreaterThan(credentials[0].signCount);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
