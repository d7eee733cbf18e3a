/**
 * The relevance score every store reports (0..1, actors/memory/relevance.ts)
 * and the floor (issue 26, item 6). Recall used to show, every turn, hits
 * scored about 1e-6 that had nothing to do with the question: FTS5's BM25
 * gives a word in more than half of the memories (the built-in responder's
 * long fallback answer is in most stored turns) an IDF of 1e-6, and a floor
 * on that figure would also have dropped every relevant match of a small
 * store. The score keeps the relevant memory in a store of one and drops a
 * match on boilerplate in a store of many, on SQLite and PostgreSQL alike.
 */
import { describe, expect, it } from "vitest";
import { ftsAny } from "../../../actors/memory/fts-query.js";
import { recallTerms } from "../../../actors/memory/query-terms.js";
import { DEFAULT_MIN_SCORE, relevanceScorer } from "../../../actors/memory/relevance.js";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import { useMemoryStores } from "../../helpers/memory-stores.js";
import { openReadOnly } from "../../helpers/sqlite.js";
import { useTempDir } from "../../helpers/temp-dir.js";

/** The built-in responder's fallback, as it is kept in most turns of a new user's store. */
const FALLBACK =
  "Sorry, I can't answer that: I'm Coda's built-in rule-based responder, not a language model. I can tell you the time and date, do arithmetic, and remember facts you tell me and recall them later.";
const CHATTER = ["play some music", "tell me a joke", "what's the news", "turn on the lights", "set a timer", "is it going to rain", "translate hello", "how far is the moon"];

describe("relevanceScorer", () => {
  it("scores a memory holding every word of the question, each found in it alone, 1", () => {
    expect(relevanceScorer([1, 1], 1)([true, true])).toBe(1);
    expect(relevanceScorer([1, 1], 500)([true, true])).toBe(1);
  });

  it("scores the share of the question held when its words are rare", () => {
    expect(relevanceScorer([1, 1], 50)([true, false])).toBeCloseTo(0.5, 10);
    expect(relevanceScorer([1, 0, 0, 0], 50)([true, false, false, false])).toBeCloseTo(0.25, 10);
    expect(relevanceScorer([1, 1], 50)([false, false])).toBe(0);
  });

  it("weighs a word held by most memories near 0, and keeps it when the store is too small to tell", () => {
    expect(relevanceScorer([45], 50)([true])).toBeLessThan(DEFAULT_MIN_SCORE);
    expect(relevanceScorer([2], 2)([true])).toBeGreaterThan(0.5);
    expect(relevanceScorer([1], 1)([true])).toBe(1);
  });

  it("stays within 0..1 whatever the figures", () => {
    for (const total of [1, 2, 10, 1000]) {
      for (const df of [1, Math.ceil(total / 2), total]) {
        const score = relevanceScorer([df, 1, 0], total);
        for (const matched of [[true, true, true], [true, false, false], [false, true, false]]) {
          const s = score(matched);
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});

describe.each(useMemoryStores())("$name store", (kind) => {
  /** A new user's store: one fact, then 40 turns the built-in responder could not answer. */
  async function chattyStore() {
    const store = await kind.open({ minScore: DEFAULT_MIN_SCORE });
    const sister = await store.remember({ text: "My sister lives in Lisbon" });
    for (let i = 0; i < 40; i++) await store.storeTurn({ turnId: `t${i}`, user: CHATTER[i % CHATTER.length]!, assistant: FALLBACK });
    return { store, sister };
  }

  it("recalls nothing unrelated at the default floor where boilerplate matched before", async () => {
    const { store } = await chattyStore();
    // Every turn holds "time" in its answer: the matches are there, scored near 0.
    const all = await store.recall("what time is it?", { limit: 3, minScore: 0 });
    expect(all.length).toBe(3);
    for (const hit of all) expect(hit.score).toBeLessThan(DEFAULT_MIN_SCORE);
    expect(await store.recall("what time is it?", { limit: 3 })).toEqual([]);
    expect(await store.recall("can you tell me a fact about the language?", { limit: 3 })).toEqual([]);
  });

  it("keeps the relevant memory above the floor in the same store", async () => {
    const { store, sister } = await chattyStore();
    const hits = await store.recall("where does my sister live?", { limit: 3 });
    expect(hits.map((h) => h.item.id)).toEqual([sister.id]);
    expect(hits[0]!.score).toBe(1);
    // A long question with one word about it still finds it.
    const long = await store.recall("I'm visiting my sister next weekend, any ideas what we could do together?", { limit: 3 });
    expect(long.map((h) => h.item.id)).toEqual([sister.id]);
    expect(long[0]!.score).toBeGreaterThanOrEqual(DEFAULT_MIN_SCORE);
  });

  it("scores the only memory of a new store as relevant, though every word is in every memory", async () => {
    const store = await kind.open({ minScore: DEFAULT_MIN_SCORE });
    const cat = await store.remember({ text: "My cat is called Miso" });
    expect(await store.recall("what is my cat called?")).toEqual([{ item: cat, score: 1 }]);
  });

  it("reports the scores of docs/memory.md's formula, the same in every store", async () => {
    // N = 3 memories; "coffee" is in 2 of them, "oat" and "milk" in 1: w(df) = ln(1 + (3 + 10 - df + 0.5) / (df + 0.5)).
    // Both words: (w(2) + 2 w(1)) / (3 w(1)) = 0.923766; "coffee" alone: w(2) / (3 w(1)) = 0.2571.
    const store = await kind.open();
    await store.remember({ text: "The user drinks coffee with oat milk" });
    await store.remember({ text: "Coffee is brewed at eight" });
    await store.remember({ text: "The user likes green tea" });
    expect((await store.recall("coffee with oat milk")).map((h) => [h.item.text, h.score])).toEqual([
      ["The user drinks coffee with oat milk", 0.923766],
      ["Coffee is brewed at eight", 0.2571],
    ]);
  });

  it("takes a call's own floor over the store's", async () => {
    const { store } = await chattyStore();
    expect((await store.recall("what time is it?", { minScore: 0 })).length).toBeGreaterThan(0);
    await expect(store.recall("time", { minScore: 1.5 })).rejects.toThrow(/minScore must be a number from 0 to 1/);
  });
});

describe("what SQLite's BM25 said about the same hits", () => {
  const dir = useTempDir("coda-relevance-");

  it("scored the boilerplate matches and the only relevant memory of a new store about 1e-6 alike", async () => {
    const path = `${dir()}/memory.db`;
    const store = new SqliteMemoryStore({ path });
    await store.remember({ text: "My cat is called Miso" });
    for (let i = 0; i < 40; i++) await store.storeTurn({ turnId: `t${i}`, user: CHATTER[i % CHATTER.length]!, assistant: FALLBACK });
    await store.close();
    const raw = openReadOnly(path);
    const bm25 = (q: string) => (raw.prepare("SELECT -bm25(memories_fts) AS s FROM memories_fts WHERE memories_fts MATCH ? ORDER BY 1 DESC").all(ftsAny(recallTerms(q)!)) as { s: number }[]).map((r) => r.s);
    for (const score of bm25("what time is it?")) expect(score).toBeLessThan(1e-5);
    raw.close();

    const alone = new SqliteMemoryStore({ path: `${dir()}/alone.db` });
    await alone.remember({ text: "My cat is called Miso" });
    await alone.close();
    const single = openReadOnly(`${dir()}/alone.db`);
    expect((single.prepare("SELECT -bm25(memories_fts) AS s FROM memories_fts WHERE memories_fts MATCH ?").get(ftsAny(recallTerms("what is my cat called?")!)) as { s: number }).s).toBeLessThan(1e-5);
    single.close();
  });
});
