/** Sanitising user words into FTS5 MATCH expressions. */
import { describe, expect, it } from "vitest";
import { ftsAllQuery, ftsAnyQuery } from "../../../actors/memory/fts-query.js";
import { MAX_QUERY_TOKENS, queryTokens } from "../../../actors/memory/query-terms.js";

describe("ftsAnyQuery", () => {
  it("quotes each meaningful word and ORs them", () => {
    expect(ftsAnyQuery("What is my cat called?")).toBe('"cat" OR "called"');
  });
  it("turns FTS operators and punctuation into plain quoted words", () => {
    expect(ftsAnyQuery('NEAR(cat* "dog", 2) OR text:fish ^bird -eel')).toBe('"near" OR "cat" OR "dog" OR "2" OR "text" OR "fish" OR "bird" OR "eel"');
  });
  it("keeps stopwords when nothing else is left and returns null without words", () => {
    expect(ftsAnyQuery("who are you")).toBe('"who" OR "are" OR "you"');
    expect(ftsAnyQuery(' "*() ^:- ')).toBeNull();
  });
  it("handles any script and de-duplicates", () => {
    expect(ftsAnyQuery("Größe größe café 東京")).toBe('"größe" OR "café" OR "東京"');
  });
  it(`keeps at most ${MAX_QUERY_TOKENS} tokens of at most 64 characters`, () => {
    const words = Array.from({ length: 50 }, (_, i) => `w${i}`).join(" ");
    expect(queryTokens(words).length).toBe(MAX_QUERY_TOKENS);
    expect(queryTokens("x".repeat(500))).toEqual(["x".repeat(64)]);
  });
});

describe("ftsAllQuery", () => {
  it("ANDs every word and makes the last a prefix", () => {
    expect(ftsAllQuery("green te")).toBe('"green" AND "te"*');
    expect(ftsAllQuery("the")).toBe('"the"*');
    expect(ftsAllQuery("***")).toBeNull();
  });
});
