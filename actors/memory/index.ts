/** The memory stage: store interface, actor logic and the in-memory store. */
export type { MemoryHit, MemoryItem, MemoryKind, MemoryStore } from "./types.js";
export { createRecallLogic, createStoreLogic, type MemoryLogicOptions } from "./actor.js";
export { InMemoryStore, contentWords, type InMemoryStoreOptions } from "./testing/in-memory.js";
