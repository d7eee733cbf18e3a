/**
 * An in-memory MemoryStore: what the server remembers with when long-term
 * memory is off (nothing survives a restart), and the store of demos and
 * tests (actors/memory/testing/ re-exports it). Recall scores by
 * word overlap between the query and each memory (cosine over distinct words
 * of three letters or more, minus common stop words). It can be made slow or
 * failing to exercise the memory stage's deadline and error paths.
 */
import { EngineError } from "../engine-error.js";
import { sleep } from "../sleep.js";
import { turnMemoryText } from "./turn-text.js";
import type { MemoryHit, MemoryItem, MemoryKind, MemoryStore } from "./types.js";

export interface InMemoryStoreOptions {
  /** Delay of recall and storeTurn (ms). Default 0. */
  latencyMs?: number;
  /** Fail these operations with this EngineError code. */
  failWith?: { code: string; operations: Array<"recall" | "store">; message?: string };
  /** Recall never answers (only an abort ends it). */
  hangRecall?: boolean;
  /** Items present from the start. */
  seed?: Array<{ text: string; kind?: MemoryKind; importance?: number }>;
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
  readonly #items: MemoryItem[] = [];
  readonly #o: InMemoryStoreOptions;
  #seq = 0;
  #closed = false;

  constructor(options: InMemoryStoreOptions = {}) {
    this.#o = options;
    for (const s of options.seed ?? []) this.#add(s.kind ?? "fact", s.text, s.importance ?? 0.5, null);
  }

  async recall(query: string, options: { limit?: number; signal?: AbortSignal } = {}): Promise<MemoryHit[]> {
    this.#checkOpen();
    const signal = options.signal ?? new AbortController().signal;
    this.recallSignals.push(signal);
    if (this.#o.hangRecall) await sleep(2 ** 31 - 1, signal);
    await sleep(this.#o.latencyMs ?? 0, signal);
    this.#maybeFail("recall");
    const q = contentWords(query);
    if (q.size === 0) return [];
    const hits: MemoryHit[] = [];
    for (const item of this.#items) {
      const d = contentWords(item.text);
      let overlap = 0;
      for (const w of q) if (d.has(w)) overlap++;
      if (overlap === 0) continue;
      hits.push({ item: { ...item }, score: overlap / Math.sqrt(q.size * d.size) });
    }
    hits.sort((a, b) => b.score - a.score || b.item.createdAt.localeCompare(a.item.createdAt));
    return hits.slice(0, options.limit ?? 5);
  }

  async storeTurn(turn: { turnId: string; user: string; assistant: string; interrupted?: boolean; at?: Date }): Promise<MemoryItem> {
    this.#checkOpen();
    await sleep(this.#o.latencyMs ?? 0);
    this.#maybeFail("store");
    const interrupted = turn.interrupted ?? false;
    return { ...this.#add("turn", turnMemoryText(turn.user, turn.assistant, interrupted), 0.3, turn.turnId, turn.at, interrupted) };
  }

  async remember(fact: { text: string; kind?: Exclude<MemoryKind, "turn">; importance?: number; turnId?: string | null }): Promise<MemoryItem> {
    this.#checkOpen();
    return { ...this.#add(fact.kind ?? "fact", fact.text, fact.importance ?? 0.5, fact.turnId ?? null) };
  }

  async list(options: { limit?: number } = {}): Promise<MemoryItem[]> {
    this.#checkOpen();
    return [...this.#items].reverse().slice(0, options.limit ?? this.#items.length).map((i) => ({ ...i }));
  }

  async forget(id: string): Promise<boolean> {
    this.#checkOpen();
    const at = this.#items.findIndex((i) => i.id === id);
    if (at < 0) return false;
    this.#items.splice(at, 1);
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #add(kind: MemoryKind, text: string, importance: number, turnId: string | null, at?: Date, interrupted = false): MemoryItem {
    const item: MemoryItem = {
      id: `m${++this.#seq}`,
      kind,
      text,
      importance,
      createdAt: (at ?? this.#o.now?.() ?? new Date()).toISOString(),
      turnId,
      interrupted,
    };
    this.#items.push(item);
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
