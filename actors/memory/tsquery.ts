/**
 * Query terms (actors/memory/query-terms.ts) as PostgreSQL tsquery text,
 * and the folding of Latin diacritics that the PostgreSQL store applies to
 * what it indexes and to what it looks for (SQLite's FTS5 tokenizer does
 * the same with `remove_diacritics 2`; PostgreSQL needs the `unaccent`
 * extension for it, which a deployment may not allow). User text never
 * reaches `to_tsquery` as syntax: a term holds only letters and digits,
 * and each spelling is single-quoted, so `&`, `|`, `!`, `<->` and `:*`
 * come only from here.
 */
import type { QueryTerm } from "./query-terms.js";

/** `text` with the accents of Latin letters removed ("Café Ñandú" -> "Cafe Nandu"); other scripts untouched. */
export function foldDiacritics(text: string): string {
  return text
    .normalize("NFD")
    .replace(/(\p{Script=Latin})\p{M}+/gu, "$1")
    .normalize("NFC");
}

/** One term: its spellings ORed, each a prefix (`:*`) when the term is. */
export function tsTerm(term: QueryTerm): string {
  const alternatives = term.variants.map((v) => `'${foldDiacritics(v).replaceAll("'", "''")}'${term.prefix ? ":*" : ""}`);
  return alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(" | ")})`;
}

/** Any of the terms (recall). */
export function tsAny(terms: readonly QueryTerm[]): string {
  return terms.map(tsTerm).join(" | ");
}

/** Every term (a viewer's search). */
export function tsAll(terms: readonly QueryTerm[]): string {
  return terms.map(tsTerm).join(" & ");
}
