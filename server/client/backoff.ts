/**
 * Reconnect delays: exponential backoff with "equal jitter" (half fixed,
 * half random), so a restarted server is not hit by every client at the
 * same instant, yet no client waits much longer than the nominal delay.
 */

/** Backoff settings; every field is optional. */
export interface BackoffOptions {
  /** Delay before the first reconnect attempt (ms). Default 250. */
  initialMs?: number;
  /** Longest delay (ms). Default 5000. */
  maxMs?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
  /** Random source in [0, 1), for tests. Default Math.random. */
  random?: () => number;
}

/** Resolved backoff settings. */
export type Backoff = Required<BackoffOptions>;

/**
 * Check and fill in backoff settings.
 * @throws TypeError naming the first invalid field.
 */
export function resolveBackoff(o: BackoffOptions = {}): Backoff {
  const b: Backoff = { initialMs: o.initialMs ?? 250, maxMs: o.maxMs ?? 5000, factor: o.factor ?? 2, random: o.random ?? Math.random };
  if (!(Number.isFinite(b.initialMs) && b.initialMs >= 0)) throw new TypeError("backoff.initialMs must be a finite number >= 0");
  if (!(Number.isFinite(b.maxMs) && b.maxMs >= b.initialMs)) throw new TypeError("backoff.maxMs must be a finite number >= initialMs");
  if (!(Number.isFinite(b.factor) && b.factor >= 1)) throw new TypeError("backoff.factor must be a finite number >= 1");
  return b;
}

/**
 * Delay before reconnect attempt `attempt` (1 for the first retry):
 * nominal = min(maxMs, initialMs * factor^(attempt-1)); the delay is in [nominal/2, nominal).
 *
 * @example
 * backoffDelay(resolveBackoff({ random: () => 0 }), 3) // 500 (nominal 1000)
 */
export function backoffDelay(b: Backoff, attempt: number): number {
  const nominal = Math.min(b.maxMs, b.initialMs * b.factor ** Math.max(0, attempt - 1));
  return Math.round(nominal / 2 + (b.random() * nominal) / 2);
}
