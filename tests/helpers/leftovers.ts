import type { ChildProcess } from 'node:child_process';

// What a test file started and must not outlive it. A file's own afterAll closes its servers, but not
// when a test or hook failed (or timed out) between start and close: then the open pool, listener or
// child process's pipes keep the Jest worker alive until Jest force-exits it. The test environment
// (tests/helpers/environment.js) calls closeLeftovers after the file's last hook.

const closers = new Set<() => Promise<unknown>>();

/** Wraps a close function so it runs once, and at the latest when the test file ends. */
export function closeWithFile(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const once = () => {
    closers.delete(once);
    return (closing ??= close());
  };
  closers.add(once);
  return once;
}

/** A child process that is SIGKILLed when the test file ends, if it has not exited by then. */
export function killWithFile(child: ChildProcess): void {
  const kill = async () => {
    closers.delete(kill);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  closers.add(kill);
  child.once('exit', () => closers.delete(kill));
}

async function closeLeftovers(): Promise<void> {
  await Promise.allSettled([...closers].map((close) => close()));
}

(globalThis as { __gatehouseCloseLeftovers?: () => Promise<void> }).__gatehouseCloseLeftovers = closeLeftovers;
