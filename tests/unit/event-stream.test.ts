import { EventStream } from '../../src/live/event-stream';

// The queue between the live feed and graphql-ws: bounded, and ending cleanly whichever side ends it.

function stream(max = 2) {
  const calls = { overflow: 0, ended: 0 };
  const events = new EventStream<number>(
    max,
    () => calls.overflow++,
    () => calls.ended++,
  );
  return { events, calls };
}

describe('EventStream', () => {
  it('hands a waiting consumer the next event at once, and queues the rest in order', async () => {
    const { events } = stream();
    const first = events.next();
    events.push(1);
    events.push(2);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await events.next()).toEqual({ value: 2, done: false });
  });

  it('calls overflow instead of growing past its bound', () => {
    const { events, calls } = stream(2);
    for (const value of [1, 2, 3, 4]) events.push(value);
    expect(calls.overflow).toBe(2);
  });

  it('finish sends what is queued, then completes', async () => {
    const { events, calls } = stream();
    events.push(1);
    events.finish();
    expect(events.drained).toBe(false);
    expect(await events.next()).toEqual({ value: 1, done: false });
    expect(await events.next()).toEqual({ value: undefined, done: true });
    expect(events.drained).toBe(true);
    expect(calls.ended).toBeGreaterThan(0);
  });

  it('return ends a consumer that is waiting (graphql-ws, when the client completes)', async () => {
    const { events } = stream();
    const waiting = events.next();
    await events.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    events.push(1);
    expect(await events.next()).toEqual({ value: undefined, done: true });
  });

  it('fail ends the stream with the error, dropping what was queued', async () => {
    const { events } = stream();
    events.push(1);
    events.fail(new Error('FORBIDDEN'));
    await expect(events.next()).rejects.toThrow('FORBIDDEN');
  });
});
