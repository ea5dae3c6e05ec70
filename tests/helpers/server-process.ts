import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createGatehouseClient } from '../../client';
import { killWithFile } from './leftovers';

const root = join(__dirname, '../..');

export interface ServerProcess {
  url: string;
  pid: number;
  /** The typed SDK against this process, optionally signed in with `token`. */
  sdk(token?: string): ReturnType<typeof createGatehouseClient>;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends `signal` and resolves with the exit code; SIGKILLs after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/**
 * A loopback port for a server process: below Linux's ephemeral range (32768–60999), which the kernel hands
 * to outgoing connections (the tests' own database and HTTP clients among them), so only another listener
 * can hold it.
 */
function randomPort(): number {
  return 20000 + Math.floor(Math.random() * 12000);
}

/**
 * The real entry point, src/main.ts, in a process of its own (ts-node with swc, which emits the decorator
 * metadata type-graphql needs), on a random loopback port; resolves once /readyz answers 200. A port another
 * process took between the draw and the bind (the server then exits with its "already in use" line) is
 * drawn again, at most three times: no test here is about the port.
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnPort(env, randomPort());
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 3) throw error;
    }
  }
}

class PortTaken extends Error {}

async function startOnPort(env: Record<string, string>, port: number): Promise<ServerProcess> {
  const child = spawn(process.execPath, [join(root, 'node_modules/ts-node/dist/bin.js'), '--swc', join(root, 'src/main.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killWithFile(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 45_000;
  // Another holder of the port may never answer: each probe gives up after a second.
  while (!(await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined))?.ok) {
    // exitCode stays null for a process killed by a signal (the test file's leftovers closer SIGKILLs it).
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      // 'close' comes once its output is read to the end, or not at all for a grandchild holding the pipe.
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      // Only the explicit PORT this helper drew: a test that sets PORT itself gets the failure as it is.
      if (env.PORT === undefined && output.includes(`PORT=${port} is already in use`)) throw new PortTaken(output);
      throw new Error(`the server did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid!,
    sdk: (token) => createGatehouseClient({ url: `${url}/graphql`, getAccessToken: () => token }),
    output: () => output,
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * src/main.ts in a process of its own that is expected to exit by itself (a start-up failure): resolves
 * with its exit code and everything it printed; SIGKILLs it after `timeoutMs`.
 */
export async function runServerProcessToExit(env: Record<string, string>, timeoutMs = 45_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(root, 'node_modules/ts-node/dist/bin.js'), '--swc', join(root, 'src/main.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, output };
}
