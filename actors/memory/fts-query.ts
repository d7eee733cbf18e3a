/**
 * Turning a person's words into a safe FTS5 MATCH expression. User text is
 * never passed to FTS5 as syntax: it is split into word tokens (letters and
 * digits only), each token is wrapped in double quotes (so `OR`, `NEAR`,
 * `AND`, `NOT`, column filters and `*` are plain words), and the tokens are
 * joined by the operator we choose. Each word also matches its other
 * spellings (colour / color, actors/memory/spelling-variants.ts); plural and
 * tense are left to the index's porter stemmer.
 */
import { spellingVariants } from "./spelling-variants.js";

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
 * A MATCH expression for recall: any of the meaningful words (OR), so BM25
 * can rank partial matches. Stopwords are dropped unless nothing else is
 * left. Returns null when the text has no words at all.
 *
 * @example ftsAnyQuery('what is "my" NEAR(cat*') === '"cat"'
 */
export function ftsAnyQuery(text: string): string | null {
  let tokens = queryTokens(text, { dropStopwords: true });
  // "what is 12 times 3" is about no memory: numbers and operator words alone recall nothing.
  if (tokens.length > 0 && tokens.every((t) => /^\d+$/.test(t) || ARITHMETIC_WORDS.has(t))) return null;
  if (tokens.length === 0) tokens = queryTokens(text);
  if (tokens.length === 0) return null;
  return tokens.flatMap((t) => spellingVariants(t).map(quote)).join(" OR ");
}

/**
 * A MATCH expression for a viewer's search box: every word must occur
 * (AND), and the last word also matches as a prefix so results follow
 * typing. Returns null when the text has no words.
 */
export function ftsAllQuery(text: string): string | null {
  const tokens = queryTokens(text);
  if (tokens.length === 0) return null;
  const last = tokens.length - 1;
  return tokens
    .map((t, i) => {
      const alternatives = spellingVariants(t).map((v) => (i === last ? `${quote(v)}*` : quote(v)));
      return alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(" OR ")})`;
    })
    .join(" AND ");
}

/** Tokens contain only letters and digits, so quoting cannot be escaped; doubling quotes is belt and braces. */
function quote(token: string): string {
  return `"${token.replaceAll('"', '""')}"`;
}
