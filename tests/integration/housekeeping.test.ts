import { randomUUID } from 'node:crypto';
import { RevokedToken } from '../../src/tokens/revoked-token.entity';
import { SecurityEvent } from '../../src/events/security-event.entity';
import { SecurityEventType, Severity } from '../../src/events/security-event-type';
import { Housekeeping } from '../../src/jobs/housekeeping';
import { RefreshToken } from '../../src/sessions/refresh-token.entity';
import { EmailToken, LinkPurpose } from '../../src/recovery/email-token.entity';
import { Session } from '../../src/sessions/session.entity';
import { factories } from '../helpers/factories';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  // Only the tests' own purges run here, so what one deletes is all it finds: a scheduled purge racing it
  // would delete some of the rows it counts (the schedule is tested below, on a server of its own). So no
  // schedule to speak of, and the run at start-up is over before the first test.
  const purge = jest.spyOn(Housekeeping.prototype, 'purge');
  server = await startTestServer({ PURGE_INTERVAL: '24h' });
  await purge.mock.results[0]?.value;
  purge.mockRestore();
});
afterAll(() => server?.close());

const { em } = factories(() => server);
const HOUR = 3_600_000;

it('purges sessions only once none of their tokens can still work, with their refresh tokens', async () => {
  const sessionOf = async () => {
    const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
    return (await em().findOneOrFail(Session, { user: register.user.id })).id;
  };
  const tokenLife = (server.config.jwt.accessTokenTtlSeconds + server.config.jwt.clockToleranceSeconds) * 1000;
  const [live, revokedJustNow, revokedLongAgo, expiredLongAgo, idleLongAgo] = await Promise.all(Array.from({ length: 5 }, sessionOf));
  const now = Date.now();
  await em().nativeUpdate(Session, { id: revokedJustNow }, { revokedAt: new Date(now - tokenLife / 2) });
  await em().nativeUpdate(Session, { id: revokedLongAgo }, { revokedAt: new Date(now - tokenLife - HOUR) });
  await em().nativeUpdate(Session, { id: expiredLongAgo }, { expiresAt: new Date(now - tokenLife - HOUR) });
  await em().nativeUpdate(
    Session,
    { id: idleLongAgo },
    {
      lastUsedAt: new Date(now - server.config.sessions.idleTimeoutSeconds * 1000 - tokenLife - HOUR),
    },
  );

  const result = await server.gatehouse.services.housekeeping.purge(em());
  expect(result.sessions).toBeGreaterThanOrEqual(3);
  const left = (await em().find(Session, { id: { $in: [live, revokedJustNow, revokedLongAgo, expiredLongAgo, idleLongAgo] } })).map((s) => s.id);
  expect(left.sort()).toEqual([live, revokedJustNow].sort());
  expect(await em().count(RefreshToken, { session: { $in: [revokedLongAgo, expiredLongAgo, idleLongAgo] } })).toBe(0);
});

it('purges security events past the retention period', async () => {
  const event = (ageMs: number) => ({
    id: randomUUID(),
    details: {},
    type: SecurityEventType.LOGIN_FAILED,
    severity: Severity.WARNING,
    createdAt: new Date(Date.now() - ageMs),
    lastSeenAt: new Date(Date.now() - ageMs),
    dedupeKey: randomUUID(),
  });
  const retention = server.config.securityEventRetentionSeconds * 1000;
  const old = event(retention + HOUR);
  const recent = event(retention - HOUR);
  await em().insertMany(SecurityEvent, [old, recent]);
  await server.gatehouse.services.housekeeping.purge(em());
  const left = await em().find(SecurityEvent, { dedupeKey: { $in: [old.dedupeKey, recent.dedupeKey] } });
  expect(left.map((e) => e.dedupeKey)).toEqual([recent.dedupeKey]);
});

it('purges link tokens once used, and a day after they expired (until then a late click hears "expired")', async () => {
  const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
  const now = Date.now();
  const token = (name: string, expiresAt: number, usedAt: Date | null = null) => ({
    id: randomUUID(),
    user: register.user.id,
    purpose: LinkPurpose.RESET_PASSWORD,
    tokenHash: `${name}-${randomUUID()}`,
    email: register.user.email,
    createdAt: new Date(now - HOUR),
    expiresAt: new Date(expiresAt),
    usedAt,
  });
  const live = token('live', now + HOUR);
  const used = token('used', now + HOUR, new Date());
  const expiredRecently = token('recent', now - HOUR);
  const expiredLongAgo = token('old', now - 25 * HOUR);
  await em().insertMany(EmailToken, [live, used, expiredRecently, expiredLongAgo]);
  const result = await server.gatehouse.services.housekeeping.purge(em());
  expect(result.emailTokens).toBe(2);
  const left = await em().find(EmailToken, { user: register.user.id });
  expect(left.map((t) => t.id).sort()).toEqual([live.id, expiredRecently.id].sort());
});

describe('revoked-token purge', () => {
  const row = (expiresAt: Date) => ({ jti: randomUUID(), userId: randomUUID(), expiresAt, revokedAt: new Date() });

  it('deletes, in batches, only revocations past exp plus the clock tolerance', async () => {
    const now = new Date();
    const tolerance = server.config.jwt.clockToleranceSeconds * 1000;
    const expired = Array.from({ length: 2500 }, () => row(new Date(now.getTime() - tolerance - 60_000)));
    const withinTolerance = Array.from({ length: 3 }, () => row(new Date(now.getTime() - tolerance / 2)));
    const live = Array.from({ length: 3 }, () => row(new Date(now.getTime() + 600_000)));
    await em().insertMany(RevokedToken, [...expired, ...withinTolerance, ...live]);

    const deleted = await server.gatehouse.services.revocations.purgeExpired(em(), 1000, now);
    expect(deleted).toBeGreaterThanOrEqual(2500);
    const left = await em().find(RevokedToken, { jti: { $in: [...expired, ...withinTolerance, ...live].map((r) => r.jti) } });
    expect(left.map((r) => r.jti).sort()).toEqual([...withinTolerance, ...live].map((r) => r.jti).sort());
  });

  it('runs on its schedule (PURGE_INTERVAL)', async () => {
    const scheduled = await startTestServer({ PURGE_INTERVAL: '1s' });
    try {
      const em = () => scheduled.gatehouse.database.orm.em.fork();
      const stale = row(new Date(Date.now() - 3_600_000));
      await em().insert(RevokedToken, stale);
      for (let i = 0; i < 50 && (await em().count(RevokedToken, { jti: stale.jti })) > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(await em().count(RevokedToken, { jti: stale.jti })).toBe(0);
    } finally {
      await scheduled.close();
    }
  });

  it('keeps a logged-out token revoked through purges', async () => {
    const { register } = await server.sdk().Register({ input: { email: uniqueEmail(), password: PASSWORD } });
    await server.sdk(register.accessToken).Logout();
    await server.gatehouse.services.revocations.purgeExpired(em());
    const { body } = await server.post({ query: '{ me { id } }' }, { authorization: `Bearer ${register.accessToken}` });
    expect(body.errors?.[0].extensions?.reason).toBe('TOKEN_REVOKED');
  });
});
