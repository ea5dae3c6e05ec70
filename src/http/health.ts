import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database';
import { loggableError } from '../db/driver-errors';

/** GET /healthz: 200 once the database answers and every migration is applied, 503 otherwise. */
export function registerHealthRoute(fastify: FastifyInstance, database: Database): void {
  fastify.get('/healthz', async (request, reply) => {
    try {
      await database.orm.em.getConnection().execute('select 1');
      if (!(await database.isMigrated())) return reply.status(503).send({ status: 'migrations pending' });
      return { status: 'ok' };
    } catch (error) {
      request.log.warn({ err: loggableError(error) }, 'health check failed');
      return reply.status(503).send({ status: 'database unavailable' });
    }
  });
}
