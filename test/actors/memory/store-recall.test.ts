/**
 * The store contract, held by both database stores (SQLite and a real
 * PostgreSQL): recall and search ranking, forget, list, and safety against
 * query syntax (FTS5's and tsquery's) in user text.
 */
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { tickingClock, useMemoryStores, type DatabaseMemoryStore } from "../../helpers/memory-stores.js";

describe.each(useMemoryStores())("$name store", (kind) => {
  let store: DatabaseMemoryStore;

  beforeEach(async () => {
    store = await kind.open({ now: tickingClock() });
  });

  describe("recall", () => {
    it("ranks the relevant memory above unrelated ones", async () => {
      await store.remember({ text: "The user's sister lives in Lisbon" });
      const cat = await store.remember({ text: "The user's cat is called Miso" });
      await store.remember({ text: "The user prefers metric units", kind: "preference" });
      await store.storeTurn({ turnId: "t1", user: "What is the weather tomorrow?", assistant: "Sunny and warm." });

      const hits = await store.recall("What is my cat called?");
      expect(hits.length).toBe(1);
      expect(hits[0]!.item.id).toBe(cat.id);
      expect(hits[0]!.score).toBeGreaterThan(0);
    });

    it("puts the memory matching more of the words first, then partial matches", async () => {
      const partial = await store.remember({ text: "Coffee is brewed at eight" });
      const full = await store.remember({ text: "The user drinks coffee with oat milk" });
      const hits = await store.recall("coffee with oat milk");
      expect(hits.map((h) => h.item.id)).toEqual([full.id, partial.id]);
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    });

    it("breaks ties by importance, then by recency", async () => {
      // Same length, same single matching word: identical score and text rank.
      const oldLow = await store.remember({ text: "tulips bloom red", importance: 0.2 });
      const oldHigh = await store.remember({ text: "tulips bloom pink", importance: 0.9 });
      const newLow = await store.remember({ text: "tulips bloom blue", importance: 0.2 });
      const hits = await store.recall("tulips");
      expect(hits[0]!.score).toBe(hits[1]!.score);
      expect(hits[1]!.score).toBe(hits[2]!.score);
      expect(hits.map((h) => h.item.id)).toEqual([oldHigh.id, newLow.id, oldLow.id]);
    });

    it("finds stemmed forms (porter tokenizer) and ignores case and accents", async () => {
      const m = await store.remember({ text: "The user went RUNNING in the Café district" });
      expect((await store.recall("runs")).map((h) => h.item.id)).toEqual([m.id]);
      expect((await store.recall("cafe")).map((h) => h.item.id)).toEqual([m.id]);
    });

    it("finds turns by the user's words and by the answer", async () => {
      const turn = await store.storeTurn({ turnId: "t7", user: "Remind me about the dentist", assistant: "Your appointment is on Friday." });
      expect(turn.kind).toBe("turn");
      expect(turn.turnId).toBe("t7");
      expect(turn.text).toBe("User: Remind me about the dentist\nAssistant: Your appointment is on Friday.");
      expect((await store.recall("dentist")).map((h) => h.item.id)).toEqual([turn.id]);
      expect((await store.recall("friday appointment")).map((h) => h.item.id)).toEqual([turn.id]);
    });

    it("honours limit and returns nothing for a query without words", async () => {
      for (let i = 0; i < 5; i++) await store.remember({ text: `apple number ${i}` });
      expect((await store.recall("apple", { limit: 3 })).length).toBe(3);
      expect(await store.recall("   ?!  ")).toEqual([]);
      expect(await store.recall("")).toEqual([]);
    });

    it("falls back to stopwords when the query has nothing else", async () => {
      const m = await store.remember({ text: "Who is there? It is me." });
      expect((await store.recall("who")).map((h) => h.item.id)).toEqual([m.id]);
    });

    it("rejects an already aborted signal with its reason", async () => {
      const ctl = new AbortController();
      ctl.abort(new Error("turn cancelled"));
      await expect(store.recall("anything", { signal: ctl.signal })).rejects.toThrow("turn cancelled");
    });
  });

  describe("query syntax in user text", () => {
    const fts5 = ['"', "*", "NEAR(", "OR", "AND NOT", "cat OR", '"cat', "cat*", "text:cat", "^cat", "NEAR(cat dog, 2)", "(", ")", "-cat", "+", "{text}: cat", "''", "\\", "\u0000", "🐈 cat", "a".repeat(10_000)];
    const tsquery = ["cat & dog", "!cat", "cat:*", "cat <-> dog", "'cat'", "cat | dog", "cat:A", "''cat''", "cat\\", "(cat", "&|!"];
    const nasty = [...fts5, ...tsquery];

    it.each(nasty)("recall(%j) does not throw and matches only words", async (q) => {
      const cat = await store.remember({ text: "The cat sleeps" });
      const hits = await store.recall(q);
      // Only queries that contain the word "cat" as a word find the cat.
      const expected = /\bcat\b/i.test(q) ? [cat.id] : [];
      expect(hits.map((h) => h.item.id)).toEqual(expected);
      await expect(store.search(q)).resolves.toBeInstanceOf(Array);
    });

    it("treats FTS operators as plain words", async () => {
      const m = await store.remember({ text: "Near the river or the sea" });
      expect((await store.recall("NEAR")).map((h) => h.item.id)).toEqual([m.id]);
    });

    it("never throws for arbitrary strings (property)", { timeout: 60_000 }, async () => {
      await store.remember({ text: "alpha beta gamma" });
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: "binary", maxLength: 200 }), async (q) => {
          await store.recall(q);
          await store.search(q);
        }),
        { numRuns: 100 },
      );
    });
  });

  describe("search", () => {
    it("requires every word and treats the last as a prefix", async () => {
      const tea = await store.remember({ text: "The user likes green tea", kind: "preference" });
      await store.remember({ text: "The user's car is green" });
      expect((await store.search("green te")).map((h) => h.item.id)).toEqual([tea.id]);
      expect((await store.search("gre")).length).toBe(2);
    });
  });

  describe("forget", () => {
    it("removes a memory from recall, search and list, and says whether it existed", async () => {
      const keep = await store.remember({ text: "Parking is on level 3" });
      const gone = await store.remember({ text: "The parking code is 4711" });
      expect((await store.recall("parking")).length).toBe(2);

      expect(await store.forget(gone.id)).toBe(true);
      expect((await store.recall("parking")).map((h) => h.item.id)).toEqual([keep.id]);
      expect((await store.recall("4711")).length).toBe(0);
      expect((await store.search("code")).length).toBe(0);
      expect((await store.list()).map((m) => m.id)).toEqual([keep.id]);
      expect(await store.get(gone.id)).toBeNull();

      expect(await store.forget(gone.id)).toBe(false);
      expect(await store.forget("mem_nope")).toBe(false);
      expect(await store.count()).toBe(1);
    });
  });

  describe("list", () => {
    it("returns newest first with the stored fields", async () => {
      const a = await store.remember({ text: "first", kind: "fact", importance: 0.5, turnId: "t1" });
      const b = await store.storeTurn({ turnId: "t2", user: "hi", assistant: "hello", at: new Date("2030-01-01T00:00:00.000Z") });
      const c = await store.remember({ text: "third", kind: "preference" });
      const items = await store.list();
      expect(items.map((m) => m.id)).toEqual([b.id, c.id, a.id]);
      expect(items[2]).toEqual({ id: a.id, kind: "fact", text: "first", importance: 0.5, createdAt: a.createdAt, turnId: "t1", interrupted: false });
      expect(items[0]!.createdAt).toBe("2030-01-01T00:00:00.000Z");
      expect(c.importance).toBe(0.7);
      expect(b.importance).toBe(0.3);
      expect((await store.list({ limit: 1 })).length).toBe(1);
    });

    it("refuses invalid input with TypeError", async () => {
      await expect(store.remember({ text: "   " })).rejects.toThrow(TypeError);
      await expect(store.remember({ text: "x", importance: 2 })).rejects.toThrow(TypeError);
      await expect(store.remember({ text: "x", kind: "turn" as never })).rejects.toThrow(TypeError);
      await expect(store.list({ limit: 0 })).rejects.toThrow(TypeError);
    });
  });
});
