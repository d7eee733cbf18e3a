/**
 * The long-term memory interface. Stores are async so an engine may do its
 * work off the event loop; all methods fail with EngineError
 * (codes: locked, full, corrupt, storage_error, timeout).
 */

import type { MemoryHit, MemoryItem, MemoryKind } from "../contracts/index.js";

export type { MemoryHit, MemoryItem, MemoryKind } from "../contracts/index.js";

/** The importance a store gives a memory of each kind when the caller does not say (the SQLite store; Coda Lite's memory cards show it). */
export const DEFAULT_IMPORTANCE: Readonly<Record<MemoryKind, number>> = { turn: 0.3, fact: 0.6, preference: 0.7 };

export interface MemoryStore {
  readonly name: string;
  /** The most relevant memories for `query`, best first. */
  recall(query: string, options?: { limit?: number; signal?: AbortSignal }): Promise<MemoryHit[]>;
  /**
   * Keep one turn. `interrupted`: the turn was cut short and `assistant` is
   * only what was heard of the answer; the item keeps the mark (`interrupted`)
   * and its text says so (actors/memory/turn-text.ts).
   */
  storeTurn(turn: { turnId: string; user: string; assistant: string; interrupted?: boolean; at?: Date }): Promise<MemoryItem>;
  /** Keep a fact or preference. */
  remember(fact: { text: string; kind?: Exclude<MemoryKind, "turn">; importance?: number; turnId?: string | null }): Promise<MemoryItem>;
  /** Newest first. */
  list(options?: { limit?: number }): Promise<MemoryItem[]>;
  /** Remove one memory; false when there was none with that id. */
  forget(id: string): Promise<boolean>;
  close(): Promise<void>;
}
