'use strict';
// The Node test environment, plus two duties at the end of each test file:
// - close the servers and child processes that the file left open (tests/helpers/leftovers.ts). It runs
//   after every afterAll hook, so a file's own cleanup always goes first; it only catches what a failed
//   or timed-out test or hook left;
// - name what the file still leaves open after that (a socket, server, child process or timer that
//   keeps the process alive). Jest's own warning ("A worker process has failed to exit gracefully") comes at
//   the end of the run and does not say which file leaked; this line, on stderr, does.
const { TestEnvironment } = require('jest-environment-node');

/** Handles that keep the process alive (unref'd ones and stdio do not). Timers are tracked apart. */
function keepingAlive() {
  const handles = process._getActiveHandles().filter((handle) => {
    if (handle === process.stdin || handle === process.stdout || handle === process.stderr) return false;
    if (typeof handle.hasRef === 'function' && !handle.hasRef()) return false;
    // The worker's IPC channel to Jest.
    if (handle.constructor && handle.constructor.name === 'Pipe' && handle === (process.channel && process.channel)) return false;
    return true;
  });
  return new Set(handles);
}

function describe(handle) {
  const type = handle.constructor ? handle.constructor.name : typeof handle;
  if (type === 'Socket' || type === 'TLSSocket') {
    const local = handle.localPort ? `${handle.localAddress}:${handle.localPort}` : '';
    const remote = handle.remotePort ? `${handle.remoteAddress}:${handle.remotePort}` : '';
    return `${type}(${local}${remote ? ` -> ${remote}` : ''}${handle._type ? ` ${handle._type}` : ''})`;
  }
  if (type === 'Server') {
    const address = typeof handle.address === 'function' ? handle.address() : undefined;
    return `Server(${address && typeof address === 'object' ? `${address.address}:${address.port}` : (address ?? 'closed')})`;
  }
  if (type === 'ChildProcess') return `ChildProcess(pid ${handle.pid} ${handle.spawnfile ?? ''})`;
  return type;
}

/**
 * Timers are not among the handles above: the test file's setTimeout and setInterval are wrapped to
 * remember where each timer was made (the first frame outside node_modules, or the first frame).
 */
function trackTimers(global) {
  const timers = new Map();
  for (const name of ['setTimeout', 'setInterval']) {
    const original = global[name];
    global[name] = function (...args) {
      const timer = original.apply(this, args);
      if (timer && typeof timer.hasRef === 'function') {
        const frames = (new Error().stack ?? '')
          .split('\n')
          .slice(2)
          .map((line) => line.trim());
        timers.set(timer, frames.find((line) => !line.includes('node_modules')) ?? frames[0] ?? '?');
        if (timers.size > 10_000) for (const [old] of timers) if (old._destroyed) timers.delete(old);
      }
      return timer;
    };
  }
  return timers;
}

// Diagnostic: when Jest ends this worker and something still keeps it alive 2 s later, say what (before
// Jest's workerGracefulExitTimeout, see jest.config.js, force-exits it).
if (typeof process.send === 'function' && !process.__gatehouseExitWatch) {
  process.__gatehouseExitWatch = true;
  const onMessage = (message) => {
    if (!Array.isArray(message) || message[0] !== 2) return;
    process.removeListener('message', onMessage);
    setTimeout(() => {
      const handles = [...keepingAlive()].map(describe);
      process.stderr.write(`\n[worker exit] ${process.pid} still has: ${process.getActiveResourcesInfo().join(', ')} | ${handles.join('; ')}\n`);
    }, 2_000).unref();
  };
  process.on('message', onMessage);
}

class GatehouseTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async setup() {
    await super.setup();
    this.before = keepingAlive();
    this.timers = trackTimers(this.global);
  }

  async teardown() {
    const closeLeftovers = this.global.__gatehouseCloseLeftovers;
    if (typeof closeLeftovers === 'function') await closeLeftovers();
    await super.teardown();
    // Closing sockets and processes takes a few turns of the event loop: give them a bounded moment.
    let left = [];
    for (let i = 0; i < 20; i++) {
      left = [...keepingAlive()].filter((handle) => !this.before.has(handle)).map(describe);
      for (const [timer, origin] of this.timers) {
        if (!timer._destroyed && timer.hasRef())
          left.push(`${timer._repeat ? 'setInterval' : 'setTimeout'}(${timer._idleTimeout} ms) from ${origin}`);
      }
      if (left.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100).unref());
    }
    process.stderr.write(`\n[open handles] ${this.testPath} left open: ${left.join('; ')}\n`);
  }
}

module.exports = GatehouseTestEnvironment;
