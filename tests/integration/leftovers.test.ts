import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { dropTaggedDatabases } from '../helpers/test-database';

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
  // The fixture fails before it can drop its databases: they are made under a tag of this run's and dropped here.
  const tag = `leftovers${randomBytes(4).toString('hex')}`;
  const jest = spawn(
    process.execPath,
    [join(root, 'node_modules/jest/bin/jest.js'), '--ci', '--testMatch', '**/tests/fixtures/leaves-servers-open.fixture.ts'],
    {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules', GATEHOUSE_TEST_DATABASE_TAG: tag },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  jest.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  jest.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Bounded: without the cleanup Jest would wait for the open handles forever.
  const timer = setTimeout(() => jest.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => jest.once('close', resolve));
  clearTimeout(timer);
  // The fixture's data was made under the tag (on PostgreSQL, a database for each of its two servers), and is gone.
  const dropped = await dropTaggedDatabases(tag);
  expect(dropped.folders).toBeGreaterThan(0);
  if (process.env.DATABASE_URL) expect(dropped.databases).toBe(2);
  expect(await dropTaggedDatabases(tag)).toEqual({ databases: 0, folders: 0 });

  expect(output).toContain('failing on purpose');
  expect(code).toBe(1); // the fixture's failure, not a kill
  expect(output).not.toMatch(/did not exit|failed to exit gracefully|open handle/i);
  const pid = Number(/child pid (\d+)/.exec(output)?.[1]);
  expect(pid).toBeGreaterThan(0);
  expect(isRunning(pid)).toBe(false);
}, 120_000);
