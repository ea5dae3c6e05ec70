import type { Env, EnvReader } from './env';
import type { NodeEnv } from './runtime';

export interface ObservabilityConfig {
  readonly logLevel: string;
  /** JSON lines (production, tests) or pino-pretty's readable lines (development). */
  readonly logFormat: 'json' | 'pretty';
  /** Prometheus /metrics: on its own port, behind a bearer token on the main port, or off (both unset). */
  readonly metrics: { readonly port: number | undefined; readonly token: string | undefined };
}

export function readObservability(r: EnvReader, nodeEnv: NodeEnv): ObservabilityConfig {
  return {
    logLevel: r.str('LOG_LEVEL', nodeEnv === 'test' ? 'silent' : 'info'),
    logFormat: readLogFormat(r.str('LOG_FORMAT', nodeEnv === 'development' ? 'pretty' : 'json'), r.problems),
    metrics: readMetrics(r.env, r.problems),
  };
}

function readLogFormat(raw: string, problems: string[]): ObservabilityConfig['logFormat'] {
  if (raw === 'json' || raw === 'pretty') return raw;
  problems.push(`LOG_FORMAT must be json or pretty (got "${raw}")`);
  return 'json';
}

function readMetrics(env: Env, problems: string[]): ObservabilityConfig['metrics'] {
  const portRaw = env.METRICS_PORT?.trim();
  const port = portRaw ? Number(portRaw) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    problems.push(`METRICS_PORT must be a port number (got "${portRaw}")`);
  }
  const token = env.METRICS_TOKEN?.trim() || undefined;
  if (token !== undefined && Buffer.byteLength(token, 'utf8') < 16) problems.push('METRICS_TOKEN must be at least 16 bytes');
  return { port, token };
}
