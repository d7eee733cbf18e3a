/**
 * Cutting a streamed answer into sentences as the deltas arrive, so each
 * sentence can go to speech synthesis while the model keeps generating.
 *
 * A sentence ends at `.`, `!`, `?`, `…` (optionally followed by closing
 * quotes or brackets) when whitespace follows, or at a line break. Waiting for
 * the whitespace keeps "3.14" and "e.g.," whole; common abbreviations and
 * initials ("Dr. Smith", "J. R. R.") do not end a sentence. What is left when
 * the stream ends comes out of `flush()`.
 */

const TERMINATORS = new Set([".", "!", "?", "…", "。", "！", "？"]);
const CLOSERS = new Set(['"', "'", "”", "’", ")", "]", "»"]);
const ABBREVIATIONS = new Set([
  "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "eg", "ie", "no", "approx", "fig", "inc", "ltd", "co", "mt", "cf",
]);

/** Incremental sentence splitter: `push` deltas, get complete sentences back. */
export class SentenceSplitter {
  #buffer = "";
  /** Where the next scan for a terminator starts (everything before was checked). */
  #scanFrom = 0;

  /**
   * Add streamed text; returns the sentences it completed, trimmed, in order.
   * @example
   * const s = new SentenceSplitter();
   * s.push("Hello there. How"); // ["Hello there."]
   * s.push(" are you?");        // []
   * s.flush();                  // "How are you?"
   */
  push(delta: string): string[] {
    this.#buffer += delta;
    const out: string[] = [];
    let start = 0;
    for (let i = this.#scanFrom; i < this.#buffer.length; i++) {
      const ch = this.#buffer[i]!;
      if (ch === "\n") {
        const sentence = this.#buffer.slice(start, i).trim();
        if (sentence) out.push(sentence);
        start = i + 1;
        continue;
      }
      if (!TERMINATORS.has(ch)) continue;
      let end = i + 1;
      while (end < this.#buffer.length && (TERMINATORS.has(this.#buffer[end]!) || CLOSERS.has(this.#buffer[end]!))) end++;
      // Not decidable yet: the character after the terminator has not arrived.
      if (end >= this.#buffer.length) return this.#keep(out, start, i);
      const next = this.#buffer[end]!;
      if (!/\s/.test(next)) {
        i = end - 1;
        continue;
      }
      if (ch === "." && isAbbreviation(this.#buffer.slice(start, i))) {
        i = end - 1;
        continue;
      }
      const sentence = this.#buffer.slice(start, end).trim();
      if (sentence) out.push(sentence);
      start = end;
      i = end - 1;
    }
    return this.#keep(out, start, this.#buffer.length);
  }

  /** The unfinished rest (trimmed), or null when there is none; resets the splitter. */
  flush(): string | null {
    const rest = this.#buffer.trim();
    this.#buffer = "";
    this.#scanFrom = 0;
    return rest ? rest : null;
  }

  /** Drop the emitted text before `start`; the next push resumes scanning at `resume`. */
  #keep(out: string[], start: number, resume: number): string[] {
    this.#buffer = this.#buffer.slice(start);
    this.#scanFrom = resume - start;
    return out;
  }
}

/** True when the text before a period ends in an abbreviation or an initial. */
function isAbbreviation(before: string): boolean {
  const word = /([\p{L}.]+)$/u.exec(before)?.[1];
  if (!word) return false;
  if (/^\p{Lu}$/u.test(word)) return true; // an initial: "J. Smith"
  return ABBREVIATIONS.has(word.toLowerCase());
}

/** Split a complete text into sentences (the same rules as streaming). */
export function splitSentences(text: string): string[] {
  const splitter = new SentenceSplitter();
  const out = splitter.push(text);
  const rest = splitter.flush();
  if (rest) out.push(rest);
  return out;
}
