import { failure } from '../helpers/failure';
import { captureLog, type CapturedLog } from '../helpers/log-capture';
import { startProxiedDatabase, type ProxiedDatabase } from '../helpers/proxied-database';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

// Security events that happen while the database is unavailable are kept in a bounded queue and written,
// with their own time, once it is back; a HIGH one is alerted from that write, once.

const SECRET = 'whsec-Zq8vJ2mX4pLr7tYw1nB5cK9dF3gH6sA0';
const METRICS_TOKEN = 'metrics-token-0123456789';
const LOGIN = 'mutation ($i: LoginInput!) { login(input: $i) { ... on AuthPayload { accessToken } } }';

let db: ProxiedDatabase;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let server: TestServer;
let log: CapturedLog;
let env: Record<string, string>;
beforeAll(async () => {
  db = await startProxiedDatabase();
  receiver = await startWebhookReceiver();
  env = {
    DATABASE_URL: db.url,
    LOG_LEVEL: 'warn',
    AUTH_CACHE: 'false',
    // The client address from X-Forwarded-For, so each test event can have its own.
    TRUST_PROXY: '1',
    ALERT_WEBHOOK_URL: receiver.url,
    ALERT_WEBHOOK_SECRET: SECRET,
    SECURITY_EVENT_DEDUPE_WINDOW: '1d',
    SECURITY_EVENT_QUEUE_MAX: '3',
    METRICS_TOKEN,
  };
  server = await startTestServer(env);
  log = captureLog(server, { level: 'info' });
});
afterAll(async () => {
  await server?.close();
  await receiver?.close();
  await db?.close();
});

const sql = <T>(text: string, params: unknown[] = []) => server.gatehouse.database.orm.em.fork().getConnection().execute<T[]>(text, params);
const eventsFrom = (ip: string) =>
  sql<{ type: string; created_at: Date }>('select type, created_at from security_events where ip = ? order by created_at', [ip]);
/** A failed login with a malformed email: no database read before its LOGIN_FAILED event, so it happens during an outage too. */
const failedLogin = (ip: string) =>
  server.post({ query: LOGIN, variables: { i: { email: 'not-an-email', password: PASSWORD } } }, { 'x-forwarded-for': ip });
const metric = async (name: string) => {
  const text = await (await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return text.split('\n').filter((line) => line.startsWith(name));
};
async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  for (const started = Date.now(); !(await check()); await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
  }
}

it('keeps a refresh-token reuse caught as the database went away, writes it when it is back, and alerts once', async () => {
  const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
  await server.sdk().Refresh({ refreshToken: register.refreshToken });
  await sql("update refresh_tokens set rotated_at = rotated_at - interval '1 hour' where rotated_at is not null");
  const alertsBefore = receiver.received.length;

  // The database goes away exactly as the event is written; the theft is still answered as one.
  const cut = db.proxy.cutOn('security_events');
  const reuse = failure(server.sdk().Refresh({ refreshToken: register.refreshToken }));
  await cut;
  expect((await reuse).reason).toBe('REFRESH_TOKEN_REUSED');
  // More happens while it is down: queued behind it.
  expect((await failedLogin('198.51.100.200')).body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(receiver.received.length).toBe(alertsBefore);
  const restoredAt = new Date();
  db.proxy.restore();

  const [delivery] = (await receiver.waitFor(alertsBefore + 1)).slice(alertsBefore);
  const alert = JSON.parse(delivery.body);
  expect(alert).toMatchObject({ type: 'REFRESH_TOKEN_REUSE', severity: 'HIGH', userId: register.user.id });
  // Its own time, not the time it was finally written.
  expect(new Date(alert.createdAt).getTime()).toBeLessThan(restoredAt.getTime());
  await waitUntil(async () => (await eventsFrom('198.51.100.200')).length === 1);
  const rows = await sql<{ type: string; created_at: Date }>('select type, created_at from security_events where user_id = ? and type = ?', [
    register.user.id,
    'REFRESH_TOKEN_REUSE',
  ]);
  expect(rows.map((row) => new Date(row.created_at).toISOString())).toEqual([alert.createdAt]);
  // Once: no second alert for the same event.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(receiver.received.length).toBe(alertsBefore + 1);
  expect(log.lines().map((line) => line.msg)).toEqual(
    expect.arrayContaining(['security events queued until the database is back', 'security events written after the database came back']),
  );
  expect(await metric('gatehouse_security_event_queue ')).toEqual(['gatehouse_security_event_queue 0']);
});

it('past SECURITY_EVENT_QUEUE_MAX drops the oldest, counts them, and says so once per burst', async () => {
  const ips = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'];
  const errorsBefore = log.lines().filter((line) => line.msg === 'security event queue full: dropping the oldest events').length;
  db.proxy.cut();
  try {
    for (const ip of ips) await failedLogin(ip);
  } finally {
    db.proxy.restore();
  }
  await waitUntil(async () => (await eventsFrom(ips[4])).length === 1);
  // The queue held 3: the two oldest were dropped, the three newest written.
  for (const ip of ips) expect({ ip, rows: (await eventsFrom(ip)).length }).toEqual({ ip, rows: ips.indexOf(ip) < 2 ? 0 : 1 });
  expect(await metric('gatehouse_security_events_dropped_total{')).toEqual(['gatehouse_security_events_dropped_total{type="LOGIN_FAILED"} 2']);
  expect(log.lines().filter((line) => line.msg === 'security event queue full: dropping the oldest events')).toHaveLength(errorsBefore + 1);
});

it('does not queue an event that failed for another reason: it is logged once', async () => {
  await sql('alter table security_events rename to security_events_gone');
  try {
    await failedLogin('198.51.100.66');
  } finally {
    await sql('alter table security_events_gone rename to security_events');
  }
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(log.lines().filter((line) => line.msg === 'security event not recorded')).toEqual([
    expect.objectContaining({ level: 50, event: { type: 'LOGIN_FAILED' }, err: expect.objectContaining({ code: '42P01' }) }),
  ]);
  expect(await eventsFrom('198.51.100.66')).toEqual([]);
  expect(await metric('gatehouse_security_event_queue ')).toEqual(['gatehouse_security_event_queue 0']);
});

it('writes what is queued once more at shutdown', async () => {
  // A second instance on the same database, to be shut down while it holds a queued event.
  const second = await startTestServer(env);
  const secondLog = captureLog(second, { level: 'info' });
  db.proxy.cut();
  try {
    await second.post({ query: LOGIN, variables: { i: { email: 'not-an-email', password: PASSWORD } } }, { 'x-forwarded-for': '198.51.100.99' });
  } finally {
    db.proxy.restore();
  }
  // Before its first retry (a second later): the shutdown's own flush writes it.
  await second.close();
  expect((await eventsFrom('198.51.100.99')).map((row) => row.type)).toEqual(['LOGIN_FAILED']);
  expect(secondLog.lines().map((line) => line.msg)).toContain('security events written after the database came back');
});
