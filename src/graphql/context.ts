import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseAuthorization } from '../auth/bearer';
import { ViewerLoader } from '../auth/viewer';
import { clientInfo, type ClientInfo } from '../common/request-meta';
import type { Config } from '../config';
import type { Services } from '../services';
import { RefreshCookie } from '../sessions/refresh-cookie';

export interface Context {
  /** This request's own EntityManager; never the global one. */
  em: EntityManager;
  services: Services;
  viewer: ViewerLoader;
  client: ClientInfo;
  refreshCookie: RefreshCookie;
}

export function createContextFactory(orm: MikroORM, services: Services, config: Pick<Config, 'sessions'>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<Context> => {
    const em = orm.em.fork();
    const client = clientInfo(request.ip, request.headers['user-agent']);
    const credential = parseAuthorization(request.headers.authorization);
    return {
      em,
      services,
      client,
      viewer: new ViewerLoader(credential, (token) => services.viewer.resolve(em, token, client)),
      refreshCookie: new RefreshCookie(config.sessions.cookie, request, reply),
    };
  };
}
