/**
 * The terms of a person's question, the same for every memory store: the
 * words of the text (letters and digits of any script; everything else
 * separates words, so no query syntax ever comes through), lower-cased,
 * NFKC-normalised and de-duplicated, each with its other spellings
 * (colour / color, actors/memory/spelling-variants.ts). Each store turns
 * the terms into its own query language (fts-query.ts for SQLite FTS5,
 * tsquery.ts for PostgreSQL) and scores matches by which terms they hold
 * (relevance.ts).
 */
import { spellingVariants } from "./spelling-variants.js";

/** One word of a question: its spellings (the word first), and whether it also matches as a prefix. */
export interface QueryTerm {
  variants: string[];
  prefix: boolean;
}

/** Words too common to say anything about relevance in a spoken question. */
const STOPWORDS = new Set(
  (
    "a an and are as at be but by can could did do does for from had has have how i if in into is it its " +
    "me my of on or our so than that the their them then there these they this to was we were what when " +
    "where which who whom why will with would you your yours please tell know about just " +
    // what is left of contractions once the apostrophe splits them (what's, don't, I'll, we're, I've, I'm, I'd)
    "s t ll re ve m d"
  ).split(" "),
);

/** Words of an arithmetic question besides its numbers. */
const ARITHMETIC_WORDS = new Set(
  (
    "plus minus times multiplied divided by over mod modulo squared cubed power root square sqrt cbrt percent of " +
    "calculate compute evaluate solve work out equal equals make makes much many sum product half double"
  ).split(" "),
);

/** Most tokens a query may have; more only slows recall down. */
export const MAX_QUERY_TOKENS = 32;
/** Longest token kept; longer runs of letters are cut. */
const MAX_TOKEN_CHARS = 64;

/** Letters (any script) and digits; everything else separates words. */
const WORD = /[\p{L}\p{N}]+/gu;

/** The words of `text`, lower-cased, de-duplicated, at most MAX_QUERY_TOKENS. */
export function queryTokens(text: string, options: { dropStopwords?: boolean } = {}): string[] {
  const seen = new Set<string>();
  for (const match of text.normalize("NFKC").matchAll(WORD)) {
    const token = match[0].toLowerCase().slice(0, MAX_TOKEN_CHARS);
    if (options.dropStopwords && STOPWORDS.has(token)) continue;
    seen.add(token);
    if (seen.size >= MAX_QUERY_TOKENS) break;
  }
  return [...seen];
}

/**
 * The terms recall looks for: the meaningful words (a memory matching any
 * of them is a candidate). Stopwords are dropped unless nothing else is
 * left. Null when the text has no words, or only numbers and arithmetic
 * words ("what is 12 times 3" is about no memory).
 */
export function recallTerms(text: string): QueryTerm[] | null {
  let tokens = queryTokens(text, { dropStopwords: true });
  if (tokens.length > 0 && tokens.every((t) => /^\d+$/.test(t) || ARITHMETIC_WORDS.has(t))) return null;
  if (tokens.length === 0) tokens = queryTokens(text);
  if (tokens.length === 0) return null;
  return tokens.map((t) => ({ variants: spellingVariants(t), prefix: false }));
}

/**
 * The terms of a viewer's search box: every word (a memory must hold them
 * all), the last one also as a prefix so results follow typing. Null when
 * the text has no words.
 */
export function searchTerms(text: string): QueryTerm[] | null {
  const tokens = queryTokens(text);
  if (tokens.length === 0) return null;
  return tokens.map((t, i) => ({ variants: spellingVariants(t), prefix: i === tokens.length - 1 }));
}
