/**
 * An in-memory MemoryStore: what the server remembers with when long-term
 * memory is off (nothing survives a restart), and the store of demos and
 * tests (actors/memory/testing/ re-exports it). Recall finds memories by
 * word overlap (distinct words of three letters or more, minus common stop
 * words, a crude plural stem) and scores them on the same 0..1 relevance
 * scale as the database stores (actors/memory/relevance.ts). Memories belong
 * to users like in every store. It can be made slow or failing to exercise
 * the memory stage's deadline and error paths.
 */
import { userIdOf } from "../contracts/index.js";
import { EngineError } from "../engine-error.js";
import { sleep } from "../sleep.js";
import { checkMinScore, rankByRelevance, relevanceScorer } from "./relevance.js";
import { memoryText } from "./text.js";
import { turnMemoryText } from "./turn-text.js";
import type { MemoryHealth, MemoryHit, MemoryItem, MemoryKind, MemoryStore, RecallOptions } from "./types.js";

export interface InMemoryStoreOptions {
  /** Delay of recall and storeTurn (ms). Default 0. */
  latencyMs?: number;
  /** Fail these operations with this EngineError code. */
  failWith?: { code: string; operations: Array<"recall" | "store">; message?: string };
  /** Recall never answers (only an abort ends it). */
  hangRecall?: boolean;
  /** Items present from the start (the `default` user's unless `userId` says). */
  seed?: Array<{ text: string; kind?: MemoryKind; importance?: number; userId?: string }>;
  /** Recall drops hits scoring below this (0..1, default 0); a call's own `minScore` wins. */
  minScore?: number;
  /** Clock for createdAt (tests). */
  now?: () => Date;
}

const STOP_WORDS = new Set([
  "the", "and", "for", "are", "but", "not", "you", "your", "with", "this", "that", "what", "was", "were", "have", "has", "had", "can", "could",
  "would", "should", "will", "about", "from", "they", "them", "there", "their", "its", "it's", "into", "than", "then", "just", "some", "any",
]);

/** Distinct content words of a text, lower-cased. */
export function contentWords(text: string): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  // A crude stem ("plans" ~ "plan") is enough for a test double.
  return new Set(words.filter((w) => w.length >= 3 && !STOP_WORDS.has(w)).map((w) => (w.length > 4 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w)));
}

/** Word-overlap memory; see the module comment. */
export class InMemoryStore implements MemoryStore {
  readonly name = "in-memory";
  /** Every recall signal seen (tests check cancellation through it). */
  readonly recallSignals: AbortSignal[] = [];
  readonly #items: { userId: string; item: MemoryItem }[] = [];
  readonly #o: InMemoryStoreOptions;
  readonly #minScore: number;
  #seq = 0;
  #closed = false;

  constructor(options: InMemoryStoreOptions = {}) {
    this.#o = options;
    this.#minScore = checkMinScore(options.minScore ?? 0);
    for (const s of options.seed ?? []) this.#add(userIdOf(s.userId), s.kind ?? "fact", s.text, s.importance ?? 0.5, null);
  }

  async recall(query: string, options: RecallOptions = {}): Promise<MemoryHit[]> {
    this.#checkOpen();
    const userId = userIdOf(options.userId);
    const signal = options.signal ?? new AbortController().signal;
    this.recallSignals.push(signal);
    if (this.#o.hangRecall) await sleep(2 ** 31 - 1, signal);
    await sleep(this.#o.latencyMs ?? 0, signal);
    this.#maybeFail("recall");
    const terms = [...contentWords(query)];
    if (terms.length === 0) return [];
    const mine = this.#mine(userId).map((item) => ({ item, words: contentWords(item.text) }));
    const score = relevanceScorer(terms.map((t) => mine.filter((m) => m.words.has(t)).length), mine.length);
    // Newest first among equal scores, as the database stores order them.
    const candidates = mine.reverse().map((m) => ({ item: { ...m.item }, matched: terms.map((t) => m.words.has(t)) }));
    return rankByRelevance(candidates, score, { limit: options.limit ?? 5, minScore: options.minScore ?? this.#minScore });
  }

  async storeTurn(turn: { turnId: string; user: string; assistant: string; interrupted?: boolean; at?: Date; userId?: string }): Promise<MemoryItem> {
    this.#checkOpen();
    const userId = userIdOf(turn.userId);
    await sleep(this.#o.latencyMs ?? 0);
    this.#maybeFail("store");
    const interrupted = turn.interrupted ?? false;
    return { ...this.#add(userId, "turn", turnMemoryText(memoryText(turn.user), memoryText(turn.assistant), interrupted), 0.3, memoryText(turn.turnId), turn.at, interrupted) };
  }

  async remember(fact: { text: string; kind?: Exclude<MemoryKind, "turn">; importance?: number; turnId?: string | null; userId?: string }): Promise<MemoryItem> {
    this.#checkOpen();
    return { ...this.#add(userIdOf(fact.userId), fact.kind ?? "fact", memoryText(fact.text), fact.importance ?? 0.5, fact.turnId == null ? null : memoryText(fact.turnId)) };
  }

  async list(options: { limit?: number; userId?: string } = {}): Promise<MemoryItem[]> {
    this.#checkOpen();
    const mine = this.#mine(userIdOf(options.userId));
    return mine.reverse().slice(0, options.limit ?? mine.length).map((i) => ({ ...i }));
  }

  async forget(id: string, options: { userId?: string } = {}): Promise<boolean> {
    this.#checkOpen();
    const userId = userIdOf(options.userId);
    const at = this.#items.findIndex((i) => i.item.id === id && i.userId === userId);
    if (at < 0) return false;
    this.#items.splice(at, 1);
    return true;
  }

  health(): MemoryHealth {
    return this.#closed ? { ok: false, code: "storage_error", message: "The memory store is closed", since: new Date().toISOString() } : { ok: true };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** The user's items, oldest first. */
  #mine(userId: string): MemoryItem[] {
    return this.#items.filter((i) => i.userId === userId).map((i) => i.item);
  }

  #add(userId: string, kind: MemoryKind, text: string, importance: number, turnId: string | null, at?: Date, interrupted = false): MemoryItem {
    const item: MemoryItem = {
      id: `m${++this.#seq}`,
      kind,
      text,
      importance,
      createdAt: (at ?? this.#o.now?.() ?? new Date()).toISOString(),
      turnId,
      interrupted,
    };
    this.#items.push({ userId, item });
    return item;
  }

  #maybeFail(op: "recall" | "store"): void {
    const f = this.#o.failWith;
    if (f && f.operations.includes(op)) throw new EngineError(f.code, f.message ?? `Scripted memory failure (${op})`);
  }

  #checkOpen(): void {
    if (this.#closed) throw new EngineError("storage_error", "The memory store is closed");
  }
}
