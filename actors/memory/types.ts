/**
 * The long-term memory interface. Stores are async so an engine may do its
 * work off the event loop; all methods fail with EngineError
 * (codes: locked, full, corrupt, storage_error, timeout).
 */

export type MemoryKind = "turn" | "fact" | "preference";

export interface MemoryItem {
  id: string;
  kind: MemoryKind;
  text: string;
  /** 0 (trivia) to 1 (never forget). */
  importance: number;
  /** ISO 8601 UTC. */
  createdAt: string;
  turnId: string | null;
}

export interface MemoryHit {
  item: MemoryItem;
  /** Relevance, higher is better. */
  score: number;
}

export interface MemoryStore {
  readonly name: string;
  /** The most relevant memories for `query`, best first. */
  recall(query: string, options?: { limit?: number; signal?: AbortSignal }): Promise<MemoryHit[]>;
  /** Keep one finished turn. */
  storeTurn(turn: { turnId: string; user: string; assistant: string; at?: Date }): Promise<MemoryItem>;
  /** Keep a fact or preference. */
  remember(fact: { text: string; kind?: Exclude<MemoryKind, "turn">; importance?: number; turnId?: string | null }): Promise<MemoryItem>;
  /** Newest first. */
  list(options?: { limit?: number }): Promise<MemoryItem[]>;
  /** Remove one memory; false when there was none with that id. */
  forget(id: string): Promise<boolean>;
  close(): Promise<void>;
}
