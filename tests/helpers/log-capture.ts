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
 * run with a LOG_LEVEL that writes the lines a test looks for.
 */
export function captureLog(server: TestServer): CapturedLog {
  const written: string[] = [];
  (server.gatehouse.fastify.log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = {
    write: (line: string) => void written.push(line),
  };
  return {
    lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => written.join(''),
  };
}
