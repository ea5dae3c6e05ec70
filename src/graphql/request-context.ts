import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { Credential } from '../identity/bearer';
import { ViewerLoader } from '../identity/viewer';
import type { ClientInfo } from '../common/request-meta';
import type { Services } from '../services';

/**
 * What an operation sees of its request, whatever transport carried it: built by createRequestContext,
 * which the HTTP context factory (context.ts) calls and a WebSocket transport will call too. Nothing here
 * needs an HTTP request or reply.
 */
export interface RequestContext {
  /** This request's own EntityManager, forked on first use; never the global one. */
  readonly em: EntityManager;
  readonly services: Services;
  readonly viewer: ViewerLoader;
  readonly client: ClientInfo;
}

/**
 * Most requests (`me` with a cached token) never need an EntityManager, so it is forked on first use.
 * The getter lives on the prototype: Apollo clones the context with Object.assign, which would call an
 * own getter and fork for every request. (tests/unit/request-context.test.ts holds this.)
 */
class LazyRequestContext implements RequestContext {
  private forked?: EntityManager;

  constructor(
    private readonly orm: MikroORM,
    readonly services: Services,
    readonly client: ClientInfo,
    readonly viewer: ViewerLoader,
  ) {}

  get em(): EntityManager {
    return (this.forked ??= this.orm.em.fork());
  }
}

/**
 * The transport-neutral part of a request's context. A transport adds its own extras onto the object
 * returned (Object.assign onto it, never a spread into a new object: a spread reads `em` and forks).
 */
export function createRequestContext(orm: MikroORM, services: Services, credential: Credential, client: ClientInfo): RequestContext {
  const viewer = new ViewerLoader(credential, (token) => services.viewer.resolve(token, client));
  return new LazyRequestContext(orm, services, client, viewer);
}
