/**
 * How relevant a recalled memory is, on one documented 0..1 scale that
 * every store reports (SQLite's BM25 and PostgreSQL's ts_rank only order
 * candidates; their raw figures are on different scales, and FTS5's BM25
 * collapses to about 1e-6 whenever a word is in more than half of the
 * memories, which in a small store is every relevant match).
 *
 * The query is a list of terms (a word with its other spellings). Each
 * term weighs what it tells about the user's memories: with N memories of
 * which d contain the term (d counted as at least 1, so a word found
 * nowhere weighs like the rarest word found once),
 *
 *     weight = ln(1 + (N - d + 0.5) / (d + 0.5))
 *
 * (BM25's inverse document frequency in the form that never goes
 * negative). A memory's score is the weight of the terms it contains over
 * the weight of all the query's terms: 1 when it has every word, the share
 * of the question it answers otherwise, near 0 when all it shares with the
 * question is a word most memories contain. The floor (`minScore`,
 * setting `memoryMinScore`) is applied to this score. See docs/memory.md,
 * "Relevance".
 */
import type { MemoryHit, MemoryItem } from "./types.js";

/** The floor the server applies unless set (measured: bench/memory-relevance.ts, docs/memory.md). */
export const DEFAULT_MIN_SCORE = 0.2;

/** How many candidates a store ranks by relevance for a recall of `limit` hits. */
export function candidateCount(limit: number): number {
  return Math.min(Math.max(limit * 4, 40), 400);
}

/** Each term's weight, from how many of the user's `total` memories contain it. */
export function termWeights(docFreqs: readonly number[], total: number): number[] {
  return docFreqs.map((df) => {
    const d = Math.max(df, 1);
    return Math.log(1 + Math.max(total - d + 0.5, 0.5) / (d + 0.5));
  });
}

/** The share of the query's weight that a memory containing the terms marked in `matched` holds (0..1). */
export function relevance(matched: readonly boolean[], weights: readonly number[]): number {
  let got = 0;
  let all = 0;
  weights.forEach((w, i) => {
    all += w;
    if (matched[i]) got += w;
  });
  return all > 0 ? got / all : 0;
}

/** A candidate of a store's own ranking, best first, with which query terms it contains. */
export interface RankedCandidate {
  item: MemoryItem;
  matched: readonly boolean[];
}

/**
 * The hits of a recall: candidates (in the store's own order) scored by
 * relevance, those below `minScore` dropped, sorted by score (the store's
 * order breaks ties: its text rank, then importance, then recency), at
 * most `limit`. Scores are rounded to 6 decimals so equal matches compare equal.
 */
export function rankByRelevance(
  candidates: readonly RankedCandidate[],
  weights: readonly number[],
  options: { limit: number; minScore: number },
): MemoryHit[] {
  return candidates
    .map((c) => ({ item: c.item, score: Math.round(relevance(c.matched, weights) * 1e6) / 1e6 }))
    .filter((h) => h.score > 0 && h.score >= options.minScore)
    .sort((a, b) => b.score - a.score)
    .slice(0, options.limit);
}

/** `minScore` checked: a number from 0 to 1. */
export function checkMinScore(value: number, what = "minScore"): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) throw new TypeError(`${what} must be a number from 0 to 1, got ${String(value)}`);
  return value;
}
