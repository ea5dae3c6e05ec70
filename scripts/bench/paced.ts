// An open-loop client for latency at a steady rate: requests evenly spaced, each sent when due whether or
// not the earlier ones were answered, and timed from when it was due. autocannon's rates are not steady:
// a connection sends its whole second's quota at once, then waits for the next second.
import { Agent, request } from 'node:http';

export interface PacedRequest {
  body: string;
  headers: Record<string, string>;
}

/** The parts of an autocannon result that runPhase reads. */
export interface PacedResult {
  requests: { total: number; sent: number; average: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

const TIMEOUT_MS = 10_000;
const TICK_MS = 1;

export async function runPaced(
  url: string,
  options: { rate: number; duration: number; connections: number; next: () => PacedRequest; onResponse: (status: number, body: string) => void },
): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const result: PacedResult = { requests: { total: 0, sent: 0, average: 0 }, latency: { p50: 0, p99: 0 }, errors: 0, timeouts: 0, non2xx: 0 };
  const inFlight = new Set<Promise<void>>();
  const interval = 1000 / options.rate;
  const start = performance.now();
  const end = start + options.duration * 1000;

  const send = (due: number) => {
    const { body, headers } = options.next();
    result.requests.sent++;
    const done = new Promise<void>((resolve) => {
      let settled = false;
      // Every request ends here exactly once, however it ends.
      const settle = (outcome: 'answered' | 'timeout' | 'error', status = 0, text = '') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome === 'answered') {
          result.requests.total++;
          if (status < 200 || status >= 300) result.non2xx++;
          else latencies.push(performance.now() - due);
          options.onResponse(status, text);
        } else if (outcome === 'timeout') {
          result.timeouts++;
          // At least this late: it belongs in the tail, not out of it.
          latencies.push(TIMEOUT_MS);
        } else {
          result.errors++;
        }
        resolve();
      };
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => settle('answered', res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
        res.on('error', () => settle('error'));
        res.on('aborted', () => settle('error'));
      });
      // From when it was due, so that a wait for a free socket counts too.
      const timer = setTimeout(
        () => {
          settle('timeout');
          req.destroy();
        },
        Math.max(0, due + TIMEOUT_MS - performance.now()),
      );
      req.on('error', () => settle('error'));
      req.on('close', () => settle('error'));
      req.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };

  let sent = 0;
  while (performance.now() < end) {
    const due = start + sent * interval;
    if (performance.now() >= due) {
      send(due);
      sent++;
    } else {
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
  }
  await Promise.all(inFlight);
  agent.destroy();

  latencies.sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least q of them at or below it.
  const at = (q: number) => (latencies.length ? Math.round(latencies[Math.max(0, Math.ceil(q * latencies.length) - 1)] * 10) / 10 : NaN);
  result.latency = { p50: at(0.5), p99: at(0.99) };
  result.requests.average = result.requests.total / options.duration;
  // As in autocannon's results, errors include the timeouts (each counted once, above, as a timeout).
  result.errors += result.timeouts;
  return result;
}
