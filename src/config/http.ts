import { isIP } from 'node:net';
import type { EnvReader } from './env';

export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  readonly bodyLimitBytes: number;
  /** How long a shutdown waits for requests in flight before cutting connections. */
  readonly shutdownGraceSeconds: number;
  /** The HTTP listener's timeouts and connection limit, per process. */
  readonly http: {
    /** Receiving a whole request, headers and body, may take this long; then 408 and the connection is cut. */
    readonly requestTimeoutSeconds: number;
    /** Receiving a request's headers (or a new connection's first request) may take this long. */
    readonly headersTimeoutSeconds: number;
    /** An idle keep-alive connection is closed after this long. */
    readonly keepAliveTimeoutSeconds: number;
    /** Open connections at most; more are closed as soon as they are accepted. */
    readonly maxConnections: number;
  };
  /** fastify's trustProxy: false, a hop count, or the proxies' addresses and CIDRs. Never "trust everyone". */
  readonly trustProxy: false | number | string[];
  /** Browser origins allowed to call /graphql (with credentials); empty: no CORS headers at all. */
  readonly corsOrigins: readonly string[];
  /** Serve the operators' web console at /admin/ (ADMIN_CONSOLE, default true). */
  readonly adminConsole: boolean;
}

export function readHttp(r: EnvReader): HttpConfig {
  return {
    host: r.str('HOST', '127.0.0.1'),
    port: r.int('PORT', 4000, 0, 65535),
    bodyLimitBytes: r.int('BODY_LIMIT', 100 * 1024, 1024, 64 * 1024 * 1024),
    shutdownGraceSeconds: r.duration('SHUTDOWN_GRACE', '10s', 1, 300),
    http: readHttpLimits(r),
    trustProxy: readTrustProxy(r.str('TRUST_PROXY', 'false'), r.problems),
    corsOrigins: readCorsOrigins(r.str('CORS_ORIGINS', ''), r.problems),
    adminConsole: r.bool('ADMIN_CONSOLE', true),
  };
}

function readHttpLimits(r: EnvReader): HttpConfig['http'] {
  const requestTimeoutSeconds = r.duration('REQUEST_TIMEOUT', '30s', 1, 300);
  const headersTimeoutSeconds = r.duration('HEADERS_TIMEOUT', '10s', 1, 300);
  // The headers are part of the request: node refuses a headers deadline later than the whole request's.
  if (headersTimeoutSeconds > requestTimeoutSeconds) {
    r.problem(`HEADERS_TIMEOUT (${headersTimeoutSeconds}s) must not be longer than REQUEST_TIMEOUT (${requestTimeoutSeconds}s)`);
  }
  return {
    requestTimeoutSeconds,
    headersTimeoutSeconds,
    keepAliveTimeoutSeconds: r.duration('KEEP_ALIVE_TIMEOUT', '5s', 1, 600),
    maxConnections: r.int('MAX_CONNECTIONS', 1024, 1, 1_000_000),
  };
}

const MAX_TRUSTED_HOPS = 10;

function readTrustProxy(raw: string, problems: string[]): HttpConfig['trustProxy'] {
  if (['false', 'no', '0', ''].includes(raw.toLowerCase())) return false;
  if (/^\d+$/.test(raw)) {
    if (Number(raw) > MAX_TRUSTED_HOPS) problems.push(`TRUST_PROXY hop count must be at most ${MAX_TRUSTED_HOPS}`);
    return Number(raw);
  }
  if (['true', 'yes', '*'].includes(raw.toLowerCase())) {
    problems.push("TRUST_PROXY=true would let any client pick its own IP; give a hop count or the proxies' addresses/CIDRs");
    return false;
  }
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) continue;
    const [address, prefix] = entry.split('/');
    const version = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const maxBits = version === 6 ? 128 : 32;
    if (!version || (bits !== undefined && (!/^\d+$/.test(prefix) || bits > maxBits))) {
      problems.push(`TRUST_PROXY entry "${entry}" is not an IP address, CIDR or one of loopback, linklocal, uniquelocal`);
    } else if (bits === 0) {
      problems.push(`TRUST_PROXY entry "${entry}" would trust every address`);
    }
  }
  return entries;
}

/** Exact origins, "scheme://host[:port]": a browser sends nothing else, and "*" cannot carry cookies. */
function readCorsOrigins(raw: string, problems: string[]): string[] {
  const origins = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      problems.push(`CORS_ORIGINS entry "${origin}" must be an origin like https://app.example.com (no path, no "*")`);
    }
  }
  return origins;
}
