/**
 * Background work: what an instance does on its own, outside any request. Housekeeping lives here, and so
 * will the dispatchers to come (the mail outbox, then the alerts that should go through it).
 *
 * A job is a function that starts its work and returns the function that stops it. app.ts starts every
 * job once the server is wired, and close() stops them before the HTTP server and the database close;
 * `stop` resolves once a run in progress has finished, so no job writes to a closing database. A job's
 * timers are unref'd: it never keeps the process alive. A run forks its own EntityManager (it belongs to
 * no request). Every instance runs every job, so a run must be safe beside another instance's run
 * (housekeeping's deletes are idempotent; a dispatcher is to claim its rows with FOR UPDATE SKIP LOCKED).
 * A one-shot command (the CLI's `purge`) calls the service directly and starts no job.
 */
export type Job = () => StopJob;

/** Stops a job's schedule and resolves once its run in progress, if any, has finished. */
export type StopJob = () => Promise<void>;

/** Starts every job; the function returned stops them all. */
export function startJobs(jobs: readonly Job[]): StopJob {
  const stops = jobs.map((start) => start());
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}

/**
 * Runs `run` now and then every `intervalSeconds`, never two runs at once (a tick that finds one still
 * running is skipped). `run` must not reject: it logs its own failure and is tried again on the next tick.
 */
export function repeat(intervalSeconds: number, run: () => Promise<void>): StopJob {
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= run().finally(() => {
      running = undefined;
    });
  };
  const timer = setInterval(tick, intervalSeconds * 1000);
  timer.unref();
  tick();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
