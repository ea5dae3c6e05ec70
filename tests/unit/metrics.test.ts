import { Metrics } from '../../src/observability/metrics';

it('starts no process collectors (event-loop monitor, GC observer) until the server asks: the CLI never does', async () => {
  const metrics = new Metrics();
  expect(await metrics.registry.metrics()).not.toMatch(/^(nodejs|process)_/m);
  expect(await metrics.registry.metrics()).toMatch(/^# HELP gatehouse_graphql_requests_total /m);
});
