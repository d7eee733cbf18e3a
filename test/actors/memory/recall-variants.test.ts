/**
 * Recall survives how a person happens to write a word: British and
 * American spelling, plural and tense (FTS5's porter stemmer plus the
 * spelling-variant map of actors/memory/spelling-variants.ts), in both
 * directions, on both database stores (SQLite's porter stemmer, PostgreSQL's
 * English snowball stemmer). A table of (stored, asked) pairs; an unrelated
 * question still recalls nothing; a database written before keeps its
 * memories and gets the same recall.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { spellingVariants } from "../../../actors/memory/spelling-variants.js";
import { useMemoryStores, type DatabaseMemoryStore } from "../../helpers/memory-stores.js";

const kinds = useMemoryStores();

const PAIRS: [stored: string, asked: string][] = [
  ["My favourite colour is green", "what's my favorite color?"],
  ["My favorite color is green", "What is my favourite colour?"],
  ["My favourite colours are green and blue", "which color do I like"],
  ["I have two dogs", "tell me about my dog"],
  ["I planned a trip to Spain", "what are my plans?"],
  ["I am planning a party", "what did I plan?"],
  ["We are travelling to Rome in May", "when do we travel?"],
  ["She organised the wedding", "who organized it?"],
  ["My daughter loves the theatre", "any theater plans?"],
  ["I analysed the sales figures", "what did I analyze?"],
  ["The cat's fur is grey", "what is gray?"],
  ["My mum visits on Sundays", "how is my mom?"],
  ["The neighbours are noisy", "what about the neighbor?"],
  ["I cancelled the subscription", "did I cancel anything?"],
];

describe.each(kinds)("$name store: recall across spelling, plural and tense", (kind) => {
  let store: DatabaseMemoryStore;
  beforeEach(async () => {
    store = await kind.open();
  });

  it.each(PAIRS)("stored %j is recalled by %j", async (stored, asked) => {
    const item = await store.remember({ text: stored });
    await store.remember({ text: "The user's sister lives in Lisbon" });
    const hits = await store.recall(asked);
    expect(hits.map((h) => h.item.id)).toEqual([item.id]);
  });

  it.each([
    ["My favourite colour is green", "favorite color"],
    ["My favorite color is green", "favourite colour"],
    ["The neighbours are noisy", "neighbor"],
    ["The neighbours are noisy", "neighb"],
    ["My daughter loves the theatre", "theater"],
    ["I analysed the sales figures", "analyzed"],
    ["The cat's fur is grey", "gray"],
  ])("viewer search: %j is found by typing %j", async (stored, typed) => {
    const item = await store.remember({ text: stored });
    await store.remember({ text: "The user's sister lives in Lisbon" });
    expect((await store.search(typed)).map((h) => h.item.id)).toEqual([item.id]);
  });

  it("an unrelated question recalls nothing", async () => {
    await store.remember({ text: "My favourite colour is green" });
    expect(await store.recall("How many sides does a hexagon have?")).toEqual([]);
    expect(await store.recall("what's 2 + 2?")).toEqual([]);
  });

  it("a database written earlier keeps every memory and recalls them by either spelling", async () => {
    const first = await kind.open();
    const a = await first.remember({ text: "My favourite colour is green" });
    const b = await first.remember({ text: "The user's neighbour is called Sam" });
    await first.close();
    const reopened = await kind.open();
    expect((await reopened.list()).map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
    expect((await reopened.recall("favorite color")).map((h) => h.item.id)).toEqual([a.id]);
    expect((await reopened.recall("who is my neighbor?")).map((h) => h.item.id)).toEqual([b.id]);
    await reopened.close();
  });
});

describe("spellingVariants", () => {
  it.each([
    ["colour", ["colour", "color"]],
    ["color", ["color", "colour"]],
    ["favourites", ["favourites", "favorites"]],
    ["organized", ["organized", "organised"]],
    ["four", ["four"]],
    ["tour", ["tour"]],
  ])("%s -> %j", (word, variants) => {
    expect(spellingVariants(word)).toEqual(variants);
  });
});
