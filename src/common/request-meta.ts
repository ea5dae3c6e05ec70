/** Who is asking, as far as the HTTP request tells: recorded on sessions and security events. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

const MAX_USER_AGENT = 512;

export const clientInfo = (ip: string | undefined, userAgent: string | undefined): ClientInfo => ({
  ip: ip ?? null,
  userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT) : null,
});
