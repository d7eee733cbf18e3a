/**
 * The window of recent latency traces behind get_performance_metrics:
 * the last `size` turns (default 100); per figure count, p50, p95, p99 and
 * max over the traces in the window where that figure is not null.
 * Percentiles are nearest-rank (the smallest value with at least p% of the
 * samples at or below it), so every reported value was actually measured.
 */
import type { EventData } from "../protocol/index.js";
import { LATENCY_FIGURES, type LatencyTrace } from "./latency.js";

export const DEFAULT_METRICS_WINDOW = 100;

type Summary = EventData<"performance_metrics">["figures"][string];

/** Nearest-rank percentile of ascending `sorted` (non-empty). */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** Summary of one figure's samples; all zeros with count 0 when there are none. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
}

/** A bounded window of latency traces. */
export class LatencyWindow {
  readonly size: number;
  #traces: LatencyTrace[] = [];

  constructor(size = DEFAULT_METRICS_WINDOW) {
    if (!Number.isInteger(size) || size < 1) throw new TypeError(`metrics window must be a positive integer, got ${size}`);
    this.size = size;
  }

  add(trace: LatencyTrace): void {
    this.#traces.push(trace);
    if (this.#traces.length > this.size) this.#traces.shift();
  }

  get traces(): readonly LatencyTrace[] {
    return this.#traces;
  }

  /** The performance_metrics payload: every figure is present (count 0 when never measured in the window). */
  summary(): EventData<"performance_metrics"> {
    const figures: Record<string, Summary> = {};
    for (const f of LATENCY_FIGURES) {
      figures[f] = summarize(this.#traces.map((t) => t[f]).filter((v): v is number => typeof v === "number"));
    }
    return { window: this.size, turns: this.#traces.length, figures };
  }
}
