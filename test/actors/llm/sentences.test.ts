/**
 * The streaming sentence splitter: where sentences end, what does not end
 * one (decimals, abbreviations, initials), and that the result does not
 * depend on how the stream was cut into deltas.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SentenceSplitter, splitSentences } from "../../../actors/llm/sentences.js";

describe("SentenceSplitter", () => {
  it("cuts at terminators followed by whitespace, and at line breaks", () => {
    expect(splitSentences("Hello there. How are you? Great!\nNext line\n\nLast one")).toEqual([
      "Hello there.",
      "How are you?",
      "Great!",
      "Next line",
      "Last one",
    ]);
  });

  it("keeps decimals, abbreviations, initials and closing quotes together", () => {
    expect(splitSentences('Pi is 3.14 today. Dr. Smith met J. R. R. Tolkien, e.g. at noon. He said "Go!" Then left.')).toEqual([
      "Pi is 3.14 today.",
      "Dr. Smith met J. R. R. Tolkien, e.g. at noon.",
      'He said "Go!"',
      "Then left.",
    ]);
  });

  it("waits for the character after a terminator before deciding", () => {
    const s = new SentenceSplitter();
    expect(s.push("It costs 3.")).toEqual([]);
    expect(s.push("50 dollars. Ok")).toEqual(["It costs 3.50 dollars."]);
    expect(s.flush()).toBe("Ok");
    expect(s.flush()).toBeNull();
  });

  it("gives the same sentences however the stream is cut into deltas", () => {
    const word = fc.constantFrom("Hi", "there", "3.5", "Dr.", "e.g.", "no", "Yes", "J.", "ok", "\n");
    const punct = fc.constantFrom("", ".", "!", "?", "...", ",", '."', "?!");
    const text = fc.array(fc.tuple(word, punct), { minLength: 1, maxLength: 30 }).map((ws) => ws.map(([w, p]) => w + p).join(" "));
    fc.assert(
      fc.property(text, fc.array(fc.nat(40), { maxLength: 10 }), (t, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (t.length + 1)))].sort((a, b) => a - b);
        const s = new SentenceSplitter();
        const out: string[] = [];
        let at = 0;
        for (const p of [...points, t.length]) {
          out.push(...s.push(t.slice(at, p)));
          at = p;
        }
        const rest = s.flush();
        if (rest) out.push(rest);
        expect(out).toEqual(splitSentences(t));
        // Nothing is lost or invented: the sentences are the text without its whitespace runs.
        expect(out.join(" ").replace(/\s+/g, " ")).toBe(t.trim().replace(/\s+/g, " "));
      }),
      { numRuns: 300 },
    );
  });
});
