/**
 * The memory stage as XState logic: recall before the answer (aborted with
 * its AbortSignal when the state exits) and storing the finished turn after
 * it (or what was heard of it, for a turn cut short: machines/cut-memory.ts).
 * Both act for the turn's user (`userId` of the input, `default` when
 * absent), and recall drops what the store's relevance floor drops.
 * Both are promise actors; failures reject with the store's EngineError,
 * whose `code` the machine reports in `memory_error`. What the store resolves
 * is validated (actors/engine-output.ts): a wrong shape rejects with
 * EngineError `malformed_output`.
 */
import { fromPromise } from "xstate";
import { DEFAULT_USER_ID, type RecallInput, type RecallOutput, type StoreInput, type StoreOutput } from "../contracts/index.js";
import { MemoryHitsSchema, MemoryItemSchema, parseEngineOutput } from "../engine-output.js";
import type { MemoryStore } from "./types.js";

export interface MemoryLogicOptions {
  store: MemoryStore;
}

/** Logic for the machine's `recall` slot. */
export function createRecallLogic(options: MemoryLogicOptions) {
  return fromPromise<RecallOutput, RecallInput>(async ({ input, signal }) => {
    const hits: unknown = await options.store.recall(input.query, { limit: input.limit, signal, userId: input.userId ?? DEFAULT_USER_ID });
    return parseEngineOutput(MemoryHitsSchema, hits, "The memory store's recall");
  });
}

/** Logic for the machine's `store` slot. */
export function createStoreLogic(options: MemoryLogicOptions) {
  return fromPromise<StoreOutput, StoreInput>(async ({ input }) => {
    // storeTurn takes no signal: a store is short and leaving it half-done would be worse than finishing it.
    const item: unknown = await options.store.storeTurn({
      turnId: input.turnId,
      userId: input.userId ?? DEFAULT_USER_ID,
      user: input.user,
      assistant: input.assistant,
      interrupted: input.interrupted,
    });
    return parseEngineOutput(MemoryItemSchema, item, "The memory store's stored item");
  });
}
