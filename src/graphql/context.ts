import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { FastifyRequest } from 'fastify';
import { parseAuthorization } from '../auth/bearer';
import { ViewerLoader } from '../auth/viewer';
import type { Services } from '../services';

export interface Context {
  /** This request's own EntityManager; never the global one. */
  em: EntityManager;
  services: Services;
  viewer: ViewerLoader;
}

export function createContextFactory(orm: MikroORM, services: Services) {
  return async (request: FastifyRequest): Promise<Context> => {
    const em = orm.em.fork();
    const credential = parseAuthorization(request.headers.authorization);
    return { em, services, viewer: new ViewerLoader(credential, (token) => services.auth.resolveViewer(em, token)) };
  };
}
