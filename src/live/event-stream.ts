/**
 * The events of one subscription, waiting for graphql-ws to send them. graphql-ws sends one message at a
 * time and waits until the socket has taken it, so a client that does not read lets events pile up here:
 * past `max` the stream calls `overflow` (the connection drops the client) instead of growing.
 */
export class EventStream<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting?: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void };
  private finished = false;
  private failure?: unknown;

  constructor(
    private readonly max: number,
    private readonly overflow: () => void,
    private readonly ended: (stream: EventStream<T>) => void,
  ) {}

  push(value: T): void {
    if (this.finished) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value, done: false });
    } else if (this.queue.length >= this.max) {
      this.overflow();
    } else {
      this.queue.push(value);
    }
  }

  /** Sends what is queued, then completes. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.waiting && this.queue.length === 0) this.settle();
  }

  /** Ends with an error (sent to the client as the subscription's error), after nothing more. */
  fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = error;
    this.queue.length = 0;
    if (this.waiting) this.settle();
  }

  /** Whether everything pushed has been taken and the stream is over. */
  get drained(): boolean {
    return this.finished && this.queue.length === 0;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.finished) return this.end();
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.finished = true;
    this.queue.length = 0;
    this.failure = undefined;
    // A consumer waiting in next() (graphql-ws's loop) ends too.
    if (this.waiting) this.settle();
    return this.end();
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private settle(): void {
    const waiting = this.waiting!;
    this.waiting = undefined;
    this.end().then(waiting.resolve, waiting.reject);
  }

  private end(): Promise<IteratorResult<T>> {
    this.ended(this);
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    return Promise.resolve({ value: undefined, done: true });
  }
}
