import type { FastifyReply, FastifyRequest } from 'fastify';

export const REFRESH_COOKIE = 'gatehouse_refresh';
// Scripts never see it (HttpOnly), it never travels over plain HTTP (Secure), no other site can make the
// browser send it (SameSite=Strict), and it only goes to the GraphQL endpoint (Path).
const ATTRIBUTES = 'Path=/graphql; HttpOnly; Secure; SameSite=Strict';

/** What a sign-in returns, as far as the cookie is concerned (AuthPayload, and any later sign-in result). */
export interface RefreshGrant {
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

/**
 * The optional cookie transport for refresh tokens (REFRESH_TOKEN_COOKIE=true), for browser apps: the
 * token is set as a cookie and left out of the response body; `refresh` reads it when its argument is "".
 */
export class RefreshCookie {
  constructor(
    readonly enabled: boolean,
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {}

  read(): string | undefined {
    if (!this.enabled) return undefined;
    for (const part of (this.request.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === REFRESH_COOKIE) return value.join('=');
    }
    return undefined;
  }

  /** Moves the refresh token from the payload into the cookie when enabled. */
  deliver<T extends RefreshGrant>(payload: T): T {
    if (!this.enabled) return payload;
    const maxAge = Math.max(0, Math.floor((payload.refreshTokenExpiresAt.getTime() - Date.now()) / 1000));
    this.reply.header('set-cookie', `${REFRESH_COOKIE}=${payload.refreshToken}; Max-Age=${maxAge}; ${ATTRIBUTES}`);
    return { ...payload, refreshToken: '' };
  }

  clear(): void {
    if (this.enabled) this.reply.header('set-cookie', `${REFRESH_COOKIE}=; Max-Age=0; ${ATTRIBUTES}`);
  }
}
