/**
 * Why each machine copies its context once, at start (the `compactContext`
 * entry action of the session and of the turn).
 *
 * XState builds a machine's initial context by copying the context
 * factory's result into an empty object, one property after another; past
 * about 19 properties V8 gives such an object a slow, dictionary-mode shape.
 * Every later `assign` copies the context from the previous one
 * (`Object.assign({}, context, update)`), so a context that starts slow
 * stays slow for the actor's whole life, and the turn assigns on every
 * streamed token and audio chunk. A copy made with object spread has a fast
 * shape, which every later `assign` then keeps. bench:turn and
 * bench:turn-instructions measure the difference (docs/benchmarks.md).
 */

/** A copy of `context` with the fast shape of an object literal. */
export function withFastShape<T extends object>(context: T): T {
  return { ...context };
}
