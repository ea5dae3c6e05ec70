import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { registerExplorer } from '../../src/http/explorer';
import { launchChromium, screenshotPath } from '../helpers/browser';
import { PASSWORD, startTestServer, type TestServer } from '../helpers/test-server';

// The two browser explorers outside production: Apollo Sandbox at /graphql (from Apollo's CDN, telemetry
// off) and GraphiQL at /explorer/, built from its npm package and served by Gatehouse itself, driven in
// headless Chromium with every request checked to stay on 127.0.0.1.

const ROOT = resolve(__dirname, '../..');
const SCREENSHOT = screenshotPath('explorer');

let server: TestServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  const started = await Promise.allSettled([
    buildExplorer(),
    // Explicitly development, as `npm run dev` runs it.
    startTestServer({ NODE_ENV: 'development' }).then((started) => (server = started)),
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

/** `npm run explorer:build`, which builds dist/explorer only when explorer/ or its packages changed. */
async function buildExplorer(): Promise<void> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is nothing Vite needs
  try {
    await promisify(execFile)(process.execPath, ['scripts/build-explorer.js'], {
      cwd: ROOT,
      env,
      timeout: 100_000,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run explorer:build failed: ${(error as Error).message}\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

const gatehouse = (): TestServer => {
  if (!server) throw new Error('Gatehouse did not start');
  return server;
};

describe('Apollo Sandbox at /graphql', () => {
  it('is the landing page outside production, with its telemetry off', async () => {
    const response = await fetch(gatehouse().graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    // Loaded from Apollo's CDN: README says it needs the internet and points to /explorer/.
    expect(html).toContain('https://embeddable-sandbox.cdn.apollographql.com/');
    expect(html).toContain('"runTelemetry":false');
    expect(html).not.toContain('"runTelemetry":true');
  });
});

describe('GraphiQL at /explorer/ in Chromium', () => {
  // The server and its database are this file's alone, so a plain address is safe (and reads well in the screenshot).
  const email = 'ada@example.com';
  let context: BrowserContext;
  let page: Page;
  /** Every URL the browser asked for, workers included. */
  const requested: string[] = [];
  /** Uncaught exceptions, console errors and CSP violations: there should be none. */
  const problems: string[] = [];
  /** The GraphQL requests GraphiQL sent (not the sign-in form's), in order. */
  const operations: Request[] = [];

  beforeAll(async () => {
    await gatehouse()
      .sdk()
      .Register({ input: { email, password: PASSWORD } });
    // A fixed size, locale, time zone and theme: the screenshot looks alike on every machine.
    context = await browser!.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-US', timezoneId: 'UTC', colorScheme: 'light' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    context.on('request', (request) => {
      requested.push(request.url());
      const body =
        request.method() === 'POST' && request.url() === gatehouse().graphqlUrl ? (request.postDataJSON() as { operationName?: string }) : undefined;
      if (body && body.operationName !== 'ExplorerLogin' && body.operationName !== 'IntrospectionQuery') operations.push(request);
    });
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(`${gatehouse().baseUrl}/explorer`);
    // GraphiQL is up once its editors are, the headers editor shown.
    await page.locator('.graphiql-query-editor .monaco-editor').waitFor();
    await page.getByRole('region', { name: 'Headers' }).getByRole('code').waitFor();
  });

  afterAll(() => context?.close());

  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  async function signIn(password: string): Promise<string> {
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(password);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#status[data-state]').waitFor();
    await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('#sign-in button')!.disabled);
    return (await page.locator('#status').textContent()) ?? '';
  }

  it('is served from /explorer/ by the server itself', async () => {
    expect(page.url()).toBe(`${gatehouse().baseUrl}/explorer/`);
    expect(await page.title()).toBe('Gatehouse · GraphiQL');
  });

  it('says why a sign-in failed', async () => {
    expect(await signIn('not the password at all')).toBe('UNAUTHENTICATED · INVALID_CREDENTIALS: Invalid email or password.');
    expect(await page.locator('#status').getAttribute('data-state')).toBe('error');
  });

  it('signs in, puts the Bearer token in the headers, and runs { me } with it', async () => {
    expect(await signIn(PASSWORD)).toMatch(/^Signed in as ada@example\.com: the token in Headers works until \d\d:\d\d [AP]M\.$/);
    // The password field is emptied.
    expect(await page.getByRole('form', { name: 'Sign in' }).getByLabel('Password').inputValue()).toBe('');

    // Replace the operation by pasting it: typed, Monaco would close each bracket a second time.
    await page.evaluate(() => navigator.clipboard.writeText('{ me { email } }'));
    await page.locator('.graphiql-query-editor .monaco-editor').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('ControlOrMeta+V');
    await page.getByRole('button', { name: /^Execute query/ }).click();
    await page.waitForFunction((expected) => document.querySelector('.graphiql-response')?.textContent?.includes(expected), email);

    // The run went out with the Authorization header from the headers editor, and the token is the user's.
    expect(operations).toHaveLength(1);
    const authorization = (await operations[0].allHeaders()).authorization ?? '';
    expect(authorization).toMatch(/^Bearer ey/);
    const claims = gatehouse().gatehouse.services.tokens.verify(authorization.slice('Bearer '.length));
    const { me } = await gatehouse().sdk(authorization.slice('Bearer '.length)).Me();
    expect(me.email).toBe(email);
    expect(claims.sub).toBe(me.id);
    expect(await page.locator('.graphiql-response').textContent()).not.toContain('errors');

    // The token is in memory only: GraphiQL stores its tabs in localStorage, but not their headers.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    expect(stored).toContain('me { email }');
    expect(stored).not.toContain(authorization.slice('Bearer '.length));

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    expect((await page.screenshot({ path: SCREENSHOT })).length).toBeGreaterThan(10_000);
  });

  it('asked for nothing from anywhere but this server', () => {
    const elsewhere = requested.filter((url) => !url.startsWith(`${gatehouse().baseUrl}/`) && !/^(data|blob):/.test(url));
    expect(elsewhere).toEqual([]);
    // Monaco's language services ran in workers served by Gatehouse.
    expect(requested.some((url) => /\/explorer\/assets\/graphql\.worker-[\w-]+\.js$/.test(url))).toBe(true);
  });
});

describe('the files of /explorer/', () => {
  it('are served with their content types and a CSP that keeps the page on this server', async () => {
    const index = await fetch(`${gatehouse().baseUrl}/explorer/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self'; worker-src 'self';/);
    const assets = [...(await index.text()).matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((match) => match[1]);
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    expect(assets.some((asset) => asset.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const response = await fetch(`${gatehouse().baseUrl}/explorer/${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(asset.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      await response.arrayBuffer();
    }
  });

  it('redirects /explorer to /explorer/, and serves nothing hidden or outside its folder', async () => {
    const redirect = await fetch(`${gatehouse().baseUrl}/explorer`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(new URL(redirect.headers.get('location')!, redirect.url).href).toBe(`${gatehouse().baseUrl}/explorer/`);
    for (const path of ['/explorer/.source-hash', '/explorer/..%2F..%2Fpackage.json', '/explorer/assets/nothing.js']) {
      const response = await fetch(`${gatehouse().baseUrl}${path}`);
      expect([path, response.status]).toEqual([path, 404]);
    }
  });

  it('answers how to build them while they are not built', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'gatehouse-explorer-'));
    const fastify = Fastify();
    try {
      registerExplorer(fastify, empty);
      const response = await fetch(`${await fastify.listen({ host: '127.0.0.1', port: 0 })}/explorer/`);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await response.text()).toContain('run `npm run explorer:build`');
    } finally {
      await fastify.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('in production', () => {
  let production: TestServer;
  beforeAll(async () => {
    production = await startTestServer({ NODE_ENV: 'production', BCRYPT_COST: '10' });
  });
  afterAll(() => production?.close());

  it('serves neither the explorer nor Sandbox', async () => {
    for (const path of ['/explorer', '/explorer/', '/explorer/index.html']) {
      expect([path, (await fetch(`${production.baseUrl}${path}`, { redirect: 'manual' })).status]).toEqual([path, 404]);
    }
    const landing = await fetch(production.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(await landing.text()).not.toContain('apollographql.com');
  });
});
