/**
 * Query terms (actors/memory/query-terms.ts) as SQLite FTS5 MATCH
 * expressions. User text is never passed to FTS5 as syntax: terms hold
 * only letters and digits, each spelling is wrapped in double quotes (so
 * `OR`, `NEAR`, `AND`, `NOT`, column filters and `*` are plain words), and
 * they are joined by the operator we choose. Plural and tense are left to
 * the index's porter stemmer.
 */
import { recallTerms, searchTerms, type QueryTerm } from "./query-terms.js";

/** One term as a MATCH expression: its spellings ORed, each a prefix when the term is. */
export function ftsTerm(term: QueryTerm): string {
  const alternatives = term.variants.map((v) => (term.prefix ? `${quote(v)}*` : quote(v)));
  return alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(" OR ")})`;
}

/** Any of the terms (OR), so ranking can weigh partial matches. */
export function ftsAny(terms: readonly QueryTerm[]): string {
  return terms.flatMap((t) => t.variants.map((v) => (t.prefix ? `${quote(v)}*` : quote(v)))).join(" OR ");
}

/** Every term (AND). */
export function ftsAll(terms: readonly QueryTerm[]): string {
  return terms.map(ftsTerm).join(" AND ");
}

/**
 * A MATCH expression for recall: any of the meaningful words (OR); see
 * recallTerms. Returns null when there is nothing to look for.
 * @example ftsAnyQuery('what is "my" NEAR(cat*') === '"near" OR "cat"'
 */
export function ftsAnyQuery(text: string): string | null {
  const terms = recallTerms(text);
  return terms && ftsAny(terms);
}

/**
 * A MATCH expression for a viewer's search box: every word must occur
 * (AND), and the last word also matches as a prefix. Returns null when the
 * text has no words.
 */
export function ftsAllQuery(text: string): string | null {
  const terms = searchTerms(text);
  return terms && ftsAll(terms);
}

/** Tokens contain only letters and digits, so quoting cannot be escaped; doubling quotes is belt and braces. */
function quote(token: string): string {
  return `"${token.replaceAll('"', '""')}"`;
}
