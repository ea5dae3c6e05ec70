import { createServer } from 'node:net';
import { StartupError } from '../common/startup-error';

/** A StartupError naming the setting for the listen failures an operator causes; any other error unchanged. */
export function explainListenError(error: unknown, setting: 'PORT' | 'METRICS_PORT', host: string, port: number): unknown {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE':
      return new StartupError(`${setting}=${port} is already in use on ${host}: stop the process using it, or set ${setting} to a free port.`);
    case 'EACCES':
      return new StartupError(`${setting}=${port} on ${host} needs privileges this process does not have: set ${setting} to a port above 1023.`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`HOST=${host} is not an address of this machine: set HOST (127.0.0.1, or 0.0.0.0 for every interface).`);
    default:
      return error;
  }
}

/**
 * Fails at once when `port` cannot be listened on, before start-up changes anything (migrations): binds
 * it and lets it go. Another process can still take it in the moment between; listening then fails with
 * the same message, after migrations that were due anyway.
 */
export async function assertPortFree(setting: 'PORT' | 'METRICS_PORT', host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(explainListenError(error, setting, host, port)));
    probe.listen({ host, port }, () => probe.close(() => resolve()));
  });
}
