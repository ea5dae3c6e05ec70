import type { FastifyInstance } from 'fastify';
import type { Database } from '../database';
import { loggableError } from '../db/driver-errors';

/**
 * GET /healthz (liveness): 200 while the process serves HTTP; a restart cannot fix the database, so it
 * does not look at it.
 * GET /readyz (readiness): 200 once the database answers and every migration is applied, 503 otherwise;
 * it comes back to 200 by itself when the database does.
 */
export function registerHealthRoutes(fastify: FastifyInstance, database: Database): void {
  fastify.get('/healthz', async () => ({ status: 'ok' }));
  fastify.get('/readyz', async (request, reply) => {
    try {
      await database.orm.em.getConnection().execute('select 1');
      if (!(await database.isMigrated())) return reply.status(503).send({ status: 'migrations pending' });
      return { status: 'ok' };
    } catch (error) {
      request.log.warn({ err: loggableError(error) }, 'readiness check failed');
      return reply.status(503).send({ status: 'database unavailable' });
    }
  });
}
