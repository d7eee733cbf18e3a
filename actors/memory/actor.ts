/**
 * The memory stage as XState logic: recall before the answer (aborted with
 * its AbortSignal when the state exits) and storing the finished turn after
 * it. Both are promise actors; failures reject with the store's EngineError,
 * whose `code` the machine reports in `memory_error`.
 */
import { fromPromise } from "xstate";
import type { RecallInput, RecallOutput, StoreInput, StoreOutput } from "../../machines/voice-types.js";
import { EngineError } from "../engine-error.js";
import type { MemoryStore } from "./types.js";

export interface MemoryLogicOptions {
  store: MemoryStore;
}

/** Logic for the machine's `recall` slot. */
export function createRecallLogic(options: MemoryLogicOptions) {
  return fromPromise<RecallOutput, RecallInput>(async ({ input, signal }) => {
    const hits = await options.store.recall(input.query, { limit: input.limit, signal });
    if (!Array.isArray(hits)) throw new EngineError("corrupt", "The memory store returned something that is not a list of hits");
    return hits;
  });
}

/** Logic for the machine's `store` slot. */
export function createStoreLogic(options: MemoryLogicOptions) {
  return fromPromise<StoreOutput, StoreInput>(async ({ input }) => {
    // storeTurn takes no signal: a store is short and leaving it half-done would be worse than finishing it.
    return options.store.storeTurn({ turnId: input.turnId, user: input.user, assistant: input.assistant });
  });
}
