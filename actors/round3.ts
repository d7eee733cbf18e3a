/**
 * The one rounding of times for events, logs and traces: milliseconds to
 * the microsecond (three decimals), never negative.
 *
 * Every figure it rounds is a time on a clock or a duration between two
 * readings of one (durations of stages and tools, audio lengths, positions
 * and offsets on a turn's audio timeline, latency figures), so a value
 * below zero can only come from a clock that stepped back (an injected test
 * clock, a host clock adjustment between two readings). That is clamped to
 * 0 here rather than put on the wire, whose schemas say non-negative, or
 * into a metric. Clamping is decided once, for every use, because no use
 * has a meaningful negative value.
 * @example
 * round3(12.3456789) // 12.346
 * round3(-0.0004)    // 0
 */
export function round3(ms: number): number {
  return Math.max(0, Math.round(ms * 1000) / 1000);
}
