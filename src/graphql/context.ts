import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseAuthorization } from '../identity/bearer';
import { ViewerLoader } from '../identity/viewer';
import { clientInfo, type ClientInfo } from '../common/request-meta';
import type { Config } from '../config';
import type { Services } from '../services';
import type { GraphQLTrace } from './observe.plugin';
import { RefreshCookie } from '../sessions/refresh-cookie';

export interface Context {
  /** This request's own EntityManager, forked on first use; never the global one. */
  readonly em: EntityManager;
  readonly services: Services;
  readonly viewer: ViewerLoader;
  readonly client: ClientInfo;
  readonly refreshCookie: RefreshCookie;
  /** What the access log and metrics learn about this operation. */
  readonly trace: GraphQLTrace;
}

/**
 * Most requests (`me` with a cached token) never need an EntityManager, so it is forked on first use.
 * The getter lives on the prototype: Apollo clones the context with Object.assign, which would call an
 * own getter and fork for every request.
 */
class RequestContext implements Context {
  private forked?: EntityManager;

  constructor(
    private readonly orm: MikroORM,
    readonly services: Services,
    readonly client: ClientInfo,
    readonly viewer: ViewerLoader,
    readonly refreshCookie: RefreshCookie,
    readonly trace: GraphQLTrace,
  ) {}

  get em(): EntityManager {
    return (this.forked ??= this.orm.em.fork());
  }
}

export function createContextFactory(orm: MikroORM, services: Services, config: Pick<Config, 'sessions'>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<Context> => {
    const client = clientInfo(request.ip, request.headers['user-agent']);
    const credential = parseAuthorization(request.headers.authorization);
    const viewer = new ViewerLoader(credential, (token) => services.viewer.resolve(token, client));
    const trace: GraphQLTrace = {};
    request.graphqlTrace = trace;
    return new RequestContext(orm, services, client, viewer, new RefreshCookie(config.sessions.cookie, request, reply), trace);
  };
}
