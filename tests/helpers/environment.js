'use strict';
// The Node test environment, plus one duty at the end of each test file: close the servers and child
// processes that the file left open (tests/helpers/leftovers.ts). It runs after every afterAll hook, so
// a file's own cleanup always goes first; it only catches what a failed or timed-out test or hook left.
const { TestEnvironment } = require('jest-environment-node');

class GatehouseTestEnvironment extends TestEnvironment {
  async teardown() {
    const closeLeftovers = this.global.__gatehouseCloseLeftovers;
    if (typeof closeLeftovers === 'function') await closeLeftovers();
    await super.teardown();
  }
}

module.exports = GatehouseTestEnvironment;
