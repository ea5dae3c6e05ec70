import { createHmac, timingSafeEqual } from 'node:crypto';
import { failure } from '../helpers/failure';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

const SECRET = 'whsec-Zq8vJ2mX4pLr7tYw1nB5cK9dF3gH6sA0';

/** What a receiver does: recompute the HMAC over "<t>.<body>" and compare in constant time. */
function verifySignature(header: string | string[] | undefined, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header));
  if (!match) return false;
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

describe('alert webhook', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  beforeAll(async () => {
    // The first delivery attempt fails, the second succeeds: retries work.
    receiver = await startWebhookReceiver((attempt, res) => res.writeHead(attempt === 1 ? 503 : 204).end());
    server = await startTestServer({ ALERT_WEBHOOK_URL: receiver.url, ALERT_WEBHOOK_SECRET: SECRET, SECURITY_EVENT_DEDUPE_WINDOW: '1d' });
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('posts a signed alert for refresh-token reuse, retrying until delivered, without holding up the request', async () => {
    const email = uniqueEmail('alerted');
    const { register } = await server.sdk().Register({ input: { email, password: PASSWORD } });
    await server.sdk().Refresh({ refreshToken: register.refreshToken });
    await server.gatehouse.database.orm.em
      .fork()
      .getConnection()
      .execute("update refresh_tokens set rotated_at = rotated_at - interval '1 hour' where rotated_at is not null");

    expect((await failure(server.sdk().Refresh({ refreshToken: register.refreshToken }))).reason).toBe('REFRESH_TOKEN_REUSED');
    // The answer came back while the webhook had at most its first (failing) attempt.
    expect(receiver.received.length).toBeLessThanOrEqual(1);

    const [first, second] = await receiver.waitFor(2);
    expect(second.body).toBe(first.body);
    const alert = JSON.parse(second.body);
    expect(alert).toMatchObject({ type: 'REFRESH_TOKEN_REUSE', severity: 'HIGH', userId: register.user.id, ip: '127.0.0.1' });
    expect(second.headers['content-type']).toBe('application/json');
    expect(second.headers['x-gatehouse-event']).toBe('REFRESH_TOKEN_REUSE');
    expect(verifySignature(second.headers['x-gatehouse-signature'], second.body)).toBe(true);
    expect(verifySignature(second.headers['x-gatehouse-signature'], second.body.replace('HIGH', 'INFO'))).toBe(false);
  });

  it('alerts once per dedupe window for a revoked access token presented again and again', async () => {
    const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
    await server.sdk(register.accessToken).Logout();
    const before = receiver.received.length;
    for (let i = 0; i < 5; i++) expect((await failure(server.sdk(register.accessToken).Me())).reason).toBe('TOKEN_REVOKED');
    const received = await receiver.waitFor(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const alerts = received
      .slice(before)
      .map((r) => JSON.parse(r.body))
      .filter((a) => a.userId === register.user.id);
    expect(alerts.map((a) => a.type)).toEqual(['REVOKED_TOKEN_REUSE']);
  });
});

describe('configuration', () => {
  it('refuses a webhook URL without a strong secret', async () => {
    await expect(startTestServer({ ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/alerts' })).rejects.toThrow(/ALERT_WEBHOOK_SECRET/);
  });
});
