/** Who is asking, as far as the HTTP request tells: recorded on sessions and security events. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

const MAX_USER_AGENT = 512;
// An address, or a trusted proxy's X-Forwarded-For entry; the longest IPv6 form with a zone fits.
const MAX_IP = 64;
// Node's HTTP parser refuses control characters in headers today; they are removed here anyway, since
// PostgreSQL refuses a NUL in text and these values are stored, not checked as client input.
const CONTROL = /\p{Cc}/gu;

const clean = (value: string | undefined, max: number): string | null => value?.replace(CONTROL, '').slice(0, max) || null;

export const clientInfo = (ip: string | undefined, userAgent: string | undefined): ClientInfo => ({
  ip: clean(ip, MAX_IP),
  userAgent: clean(userAgent, MAX_USER_AGENT),
});

/** A URL's path without its query string, which a GET /graphql can fill with variables. */
export function pathOf(url: string | undefined): string | undefined {
  const query = url?.indexOf('?') ?? -1;
  return query === -1 ? url : url!.slice(0, query);
}
