import { unauthenticated } from '../errors/errors';
import type { AccessClaims } from '../tokens/access-claims';
import type { UserSnapshot } from '../users/user.entity';
import type { Credential } from './bearer';

/** The signed-in user as a request sees it: a read-only snapshot of the row (viewer-row.ts), without its hash or skeleton. */
export type ViewerUser = UserSnapshot;

/** The signed-in user of a request and the token that proved it. */
export interface Viewer {
  /** Detached from any EntityManager; code that changes the user loads it first. */
  user: ViewerUser;
  claims: AccessClaims;
  /** The session the access token belongs to (its `sid`). */
  sessionId: string;
}

/**
 * Resolves the request's viewer on first use and remembers the outcome. Operations that need no viewer
 * (login, register) never resolve it, so a stale token attached to them does no harm.
 */
export class ViewerLoader {
  private viewer?: Promise<Viewer>;

  constructor(
    private readonly credential: Credential,
    private readonly resolve: (token: string) => Promise<Viewer>,
  ) {}

  require(): Promise<Viewer> {
    this.viewer ??= 'token' in this.credential ? this.resolve(this.credential.token) : Promise.reject(unauthenticated(this.credential.reason));
    return this.viewer;
  }
}
