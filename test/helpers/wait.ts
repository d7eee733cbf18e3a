/**
 * Waiting in tests. `until` polls a condition the test cannot await directly
 * (a counter, a state) and fails with what it waited for instead of hanging;
 * `tick` lets queued I/O callbacks run; `sleep` gives a server time to act
 * (or not act) where nothing can be awaited. None of them is an assertion:
 * no test checks how long anything took.
 */

/** Resolve after `ms`; for letting a server act, never as an assertion. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolve after the I/O callbacks already queued have run (one turn of the event loop). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Resolve once `check()` holds (polled every `everyMs`); reject after
 * `timeoutMs` with `timed out waiting for <what>`.
 * @example await until(() => server.requests.length === 1, "the first request");
 */
export async function until(check: () => boolean | Promise<boolean>, what = "a condition", timeoutMs = 5000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
