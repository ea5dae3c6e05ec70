'use strict';
// Preloaded (NODE_OPTIONS=--require) into a server process by tests/integration/transaction-context.test.ts:
// on SIGUSR2 it prints whether V8 calls promise hooks now. Only then does a promise's continuation run under
// an async id of its own (Node 20; with every hook off it reads 0). Jest's own process keeps hooks on, so
// this can only be seen in a process of the server's own. Plain JavaScript: it is required before ts-node.
const { executionAsyncId } = require('node:async_hooks');

process.on('SIGUSR2', () => {
  void Promise.resolve().then(() => process.stdout.write(`promise hooks: ${executionAsyncId() === 0 ? 'off' : 'on'}\n`));
});
