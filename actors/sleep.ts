/**
 * Abortable waiting, shared by the scripted engines and the stage actors.
 * A timer that outlives its turn would keep the process alive and fire into
 * a cancelled turn, so every wait here ends when its signal aborts.
 */

import { abortError } from "./engine-error.js";

export { abortError };

/**
 * Resolve after `ms` milliseconds, or reject with an AbortError as soon as
 * `signal` aborts. `ms <= 0` still yields to the event loop once (a macrotask),
 * so zero-latency scripted engines stay asynchronous like real ones.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolve when `signal` aborts (never rejects). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/**
 * The reason stage actors abort their engines with when the machine stops
 * them. One shared instance: an AbortError is what engines expect, and a
 * fresh DOMException per stopped actor (with its stack trace) is measurable
 * cost on the per-sentence path.
 */
export const STAGE_STOPPED: Error = new DOMException("The stage was stopped by the voice machine", "AbortError");
