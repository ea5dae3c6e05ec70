import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { loggableError } from '../db/driver-errors';
import type { RevocationService } from './revocation.service';

/** Runs the revoked-token purge now and then every `intervalSeconds`. Returns a stop function. */
export function schedulePurge(
  orm: MikroORM,
  revocations: RevocationService,
  intervalSeconds: number,
  log: FastifyBaseLogger,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const run = () => {
    if (running) return;
    running = revocations
      .purgeExpired(orm.em.fork())
      .then((deleted) => {
        if (deleted > 0) log.info({ deleted }, 'purged expired token revocations');
      })
      .catch((error: unknown) => log.warn({ err: loggableError(error) }, 'revoked-token purge failed; will retry'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(run, intervalSeconds * 1000);
  timer.unref();
  run();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
