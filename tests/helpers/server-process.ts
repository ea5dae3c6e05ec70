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
 * The real entry point, src/main.ts, in a process of its own (ts-node with swc, which emits the decorator
 * metadata type-graphql needs), on a random loopback port; resolves once /readyz answers 200.
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = 20000 + Math.floor(Math.random() * 20000);
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
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 45_000;
  while (!(await fetch(`${url}/readyz`).catch(() => undefined))?.ok) {
    // exitCode stays null for a process killed by a signal (the test file's leftovers closer SIGKILLs it).
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
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
