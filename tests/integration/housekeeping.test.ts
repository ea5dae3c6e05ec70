import { randomUUID } from 'node:crypto';
import { SecurityEvent } from '../../src/events/security-event.entity';
import { SecurityEventType, Severity } from '../../src/events/security-event-type';
import { RefreshToken } from '../../src/sessions/refresh-token.entity';
import { Session } from '../../src/sessions/session.entity';
import { factories } from '../helpers/factories';
import { PASSWORD, startTestServer, uniqueEmail, type TestServer } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
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
  const [live, revokedJustNow, revokedLongAgo, expiredLongAgo, idleLongAgo] = await Promise.all(
    Array.from({ length: 5 }, sessionOf),
  );
  const now = Date.now();
  await em().nativeUpdate(Session, { id: revokedJustNow }, { revokedAt: new Date(now - tokenLife / 2) });
  await em().nativeUpdate(Session, { id: revokedLongAgo }, { revokedAt: new Date(now - tokenLife - HOUR) });
  await em().nativeUpdate(Session, { id: expiredLongAgo }, { expiresAt: new Date(now - tokenLife - HOUR) });
  await em().nativeUpdate(Session, { id: idleLongAgo }, {
    lastUsedAt: new Date(now - server.config.sessions.idleTimeoutSeconds * 1000 - tokenLife - HOUR),
  });

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
