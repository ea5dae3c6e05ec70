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
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers }, timeout: TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          result.requests.total++;
          if (status < 200 || status >= 300) result.non2xx++;
          else latencies.push(performance.now() - due);
          options.onResponse(status, Buffer.concat(chunks).toString('utf8'));
          resolve();
        });
      });
      req.on('timeout', () => {
        result.timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.on('error', () => {
        result.errors++;
        resolve();
      });
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
  const at = (q: number) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 10) / 10 : NaN);
  result.latency = { p50: at(0.5), p99: at(0.99) };
  result.requests.average = result.requests.total / options.duration;
  // Like autocannon, errors include timeouts.
  result.errors += result.timeouts;
  return result;
}
