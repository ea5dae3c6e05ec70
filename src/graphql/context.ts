import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseAuthorization } from '../identity/bearer';
import { clientInfo } from '../common/request-meta';
import type { Config } from '../config';
import type { Services } from '../services';
import type { GraphQLTrace } from '../observability/trace';
import { createRequestContext, type RequestContext } from './request-context';
import { RefreshCookie } from '../sessions/refresh-cookie';

/** What only an operation over HTTP has: the reply that can carry a cookie, and the access log's trace. */
export interface HttpExtras {
  readonly refreshCookie: RefreshCookie;
  /** What the access log and metrics learn about this operation. */
  readonly trace: GraphQLTrace;
}

/** The context of an operation over HTTP: the transport-neutral part (request-context.ts) and the HTTP extras. */
export type Context = RequestContext & HttpExtras;

export function createContextFactory(orm: MikroORM, services: Services, config: Pick<Config, 'sessions'>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<Context> => {
    const client = clientInfo(request.ip, request.headers['user-agent']);
    const context = createRequestContext(orm, services, parseAuthorization(request.headers.authorization), client);
    const trace: GraphQLTrace = {};
    request.graphqlTrace = trace;
    const extras: HttpExtras = { refreshCookie: new RefreshCookie(config.sessions.cookie, request, reply), trace };
    // Onto the context itself, keeping its prototype (and the lazy `em` on it).
    return Object.assign(context, extras);
  };
}
