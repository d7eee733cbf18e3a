/**
 * The long-term memory interface. Stores are async so an engine may do its
 * work off the event loop (or over the network); all methods fail with
 * EngineError (codes: locked, full, corrupt, storage_error, unavailable,
 * timeout). Every memory belongs to a user (actors/contracts/user.ts):
 * each method acts on the memories of `userId` only, `default` when it is
 * not given. Text is kept as actors/memory/text.ts makes it.
 */

import type { MemoryHit, MemoryItem, MemoryKind } from "../contracts/index.js";

export type { MemoryHit, MemoryItem, MemoryKind } from "../contracts/index.js";

/** Options of `recall` and `search`. */
export interface RecallOptions {
  /** Most hits (stores cap it). */
  limit?: number;
  signal?: AbortSignal;
  /** Whose memories; `default` when absent. */
  userId?: string;
  /**
   * Drop hits whose score is below this (0..1, actors/memory/relevance.ts).
   * Default: the store's own `minScore` option (0 unless configured).
   */
  minScore?: number;
}

/**
 * Whether the store can serve right now, for `/health`: `ok: false` while
 * its database is unreachable (with the code its operations fail with),
 * `ok: true` again once it answers.
 */
export type MemoryHealth = { ok: true } | { ok: false; code: string; message: string; since: string };

/** The importance a store gives a memory of each kind when the caller does not say (the database stores; Coda Lite's memory cards show it). */
export const DEFAULT_IMPORTANCE: Readonly<Record<MemoryKind, number>> = { turn: 0.3, fact: 0.6, preference: 0.7 };

export interface MemoryStore {
  readonly name: string;
  /**
   * The user's memories most relevant to `query`, best first. `score` is
   * the relevance on a 0..1 scale (1: every word of the question is in it);
   * see docs/memory.md, "Relevance".
   */
  recall(query: string, options?: RecallOptions): Promise<MemoryHit[]>;
  /**
   * Keep one turn for `userId`. `user` is the user's words. `interrupted`:
   * the turn was cut short and `assistant` is only what was heard of the
   * answer; the item keeps the mark (`interrupted`) and its text says so
   * (actors/memory/turn-text.ts).
   */
  storeTurn(turn: { turnId: string; user: string; assistant: string; interrupted?: boolean; at?: Date; userId?: string }): Promise<MemoryItem>;
  /** Keep a fact or preference for `userId`. */
  remember(fact: { text: string; kind?: Exclude<MemoryKind, "turn">; importance?: number; turnId?: string | null; userId?: string }): Promise<MemoryItem>;
  /** The user's memories, newest first. */
  list(options?: { limit?: number; userId?: string }): Promise<MemoryItem[]>;
  /** A viewer's search: the user's memories holding every word (the last as a prefix), best first. Stores without it are searched with `recall`. */
  search?(query: string, options?: RecallOptions): Promise<MemoryHit[]>;
  /** Remove one of the user's memories; false when the user has none with that id (another user's memory is never removed). */
  forget(id: string, options?: { userId?: string }): Promise<boolean>;
  /** Whether the store can serve now (for `/health`); a store without it is taken as healthy. */
  health?(): MemoryHealth;
  close(): Promise<void>;
}
