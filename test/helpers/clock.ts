/**
 * Playout clocks for tests (server/pipeline/playout.ts Clock):
 * - ManualClock, moved by hand: `advance(ms)` runs every timer that falls
 *   due, in time order, including timers those timers set;
 * - fastClock(factor), the system clock run `factor` times faster, for a
 *   test with real engines in which a listener that never reports its
 *   playback (a plain `?audio=1` client) would otherwise be waited for in
 *   real time, and nothing is asserted about that wait.
 */
import type { Clock } from "../../server/pipeline/playout.js";

/**
 * The system clock (performance.now and the global timers) running `factor` times faster.
 * @example startPipeline(closers, { playoutClock: fastClock(20) }) // 3 s of speech plays out in 150 ms
 */
export function fastClock(factor: number): Clock {
  if (!(factor >= 1)) throw new TypeError("fastClock factor must be at least 1");
  const start = performance.now();
  return {
    now: () => start + (performance.now() - start) * factor,
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms) / factor),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}

export class ManualClock implements Clock {
  #now = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers waiting. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = end;
  }
}
