import pino from 'pino';
import type { TestServer } from './test-server';

export interface CapturedLog {
  /** Every line written since capture started, parsed. */
  lines(): Record<string, unknown>[];
  /** The raw text written since capture started. */
  text(): string;
}

/**
 * Captures what an in-process server writes to its log, through pino's real formatters and serializers:
 * the root logger's stream is swapped for an in-memory one (child loggers inherit it). The server must
 * run with a LOG_LEVEL that writes the lines a test looks for, or `level` sets one.
 */
export function captureLog(server: TestServer, { level }: { level?: string } = {}): CapturedLog {
  const written: string[] = [];
  const log = server.gatehouse.fastify.log;
  (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = { write: (line: string) => void written.push(line) };
  // From now on: a server started at a quieter level prints nothing while it starts.
  if (level) log.level = level;
  return {
    lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => written.join(''),
  };
}
