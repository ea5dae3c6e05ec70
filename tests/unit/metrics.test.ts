import { Metrics } from '../../src/observability/metrics';

it('starts no process collectors (event-loop monitor, GC observer) until the server asks: the CLI never does', async () => {
  const metrics = new Metrics();
  expect(await metrics.registry.metrics()).not.toMatch(/^(nodejs|process)_/m);
  expect(await metrics.registry.metrics()).toMatch(/^# HELP gatehouse_graphql_requests_total /m);
});

it('exposes the operations counted on the request path as a Prometheus counter and histogram', async () => {
  const metrics = new Metrics();
  metrics.countOperation('me', 'query', 'ok', 0.0007);
  metrics.countOperation('me', 'query', 'ok', 0.003);
  metrics.countOperation('me', 'query', 'UNAUTHENTICATED', 0.001);
  metrics.countOperation('login', 'mutation', 'ok', 7);
  const text = await metrics.registry.metrics();
  const line = (series: string) => new RegExp(`^${series.replace(/[{}.+]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1];
  expect(line('gatehouse_graphql_requests_total{field="me",type="query",outcome="ok"}')).toBe('2');
  expect(line('gatehouse_graphql_requests_total{field="me",type="query",outcome="UNAUTHENTICATED"}')).toBe('1');
  expect(line('gatehouse_graphql_requests_total{field="login",type="mutation",outcome="ok"}')).toBe('1');
  // Cumulative buckets; a bound holds what equals it; above the last bound only +Inf counts.
  const bucket = (le: string, field = 'me', type = 'query') =>
    line(`gatehouse_graphql_request_duration_seconds_bucket{le="${le}",field="${field}",type="${type}"}`);
  expect([bucket('0.001'), bucket('0.0025'), bucket('0.005'), bucket('5'), bucket('+Inf')]).toEqual(['2', '2', '3', '3', '3']);
  expect(line('gatehouse_graphql_request_duration_seconds_sum{field="me",type="query"}')).toBe('0.0047');
  expect(line('gatehouse_graphql_request_duration_seconds_count{field="me",type="query"}')).toBe('3');
  expect([bucket('5', 'login', 'mutation'), bucket('+Inf', 'login', 'mutation')]).toEqual(['0', '1']);
  // The JSON form, which WORKERS > 1 aggregates across workers, holds the same series.
  const json = await metrics.registry.getMetricsAsJSON();
  const count = json
    .find((m) => m.name === 'gatehouse_graphql_request_duration_seconds')
    ?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count') && v.labels.field === 'me');
  expect(count?.value).toBe(3);
});
