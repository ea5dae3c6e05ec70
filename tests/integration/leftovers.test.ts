import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../..');

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A test file that fails between starting servers and closing them must not leave them running: their
// pools, listeners and pipes would keep a Jest worker alive until Jest force-exits it ("A worker process
// has failed to exit gracefully"), and a server process would outlive the run.
test('a failed test file leaves no server open: Jest exits by itself and the server process is gone', async () => {
  const jest = spawn(
    process.execPath,
    [join(root, 'node_modules/jest/bin/jest.js'), '--ci', '--testMatch', '**/tests/fixtures/leaves-servers-open.fixture.ts'],
    { cwd: root, env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  jest.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  jest.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Bounded: without the cleanup Jest would wait for the open handles forever.
  const timer = setTimeout(() => jest.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => jest.once('close', resolve));
  clearTimeout(timer);

  expect(output).toContain('failing on purpose');
  expect(code).toBe(1); // the fixture's failure, not a kill
  expect(output).not.toMatch(/did not exit|failed to exit gracefully|open handle/i);
  const pid = Number(/child pid (\d+)/.exec(output)?.[1]);
  expect(pid).toBeGreaterThan(0);
  expect(isRunning(pid)).toBe(false);
}, 120_000);
