/**
 * How relevant a recalled memory is, on one documented 0..1 scale that
 * every store reports. SQLite's BM25 and PostgreSQL's ts_rank only order
 * candidates: their raw figures are on different scales, and FTS5's BM25
 * collapses to about 1e-6 for any word in more than half of the memories,
 * which is both the boilerplate of earlier answers and, in a small store,
 * every relevant match.
 *
 * The question is a list of k terms (a word with its other spellings).
 * With N memories of the user, of which df hold a term, the term weighs
 *
 *     w(df) = ln(1 + (N + 10 - df + 0.5) / (df + 0.5))
 *
 * (BM25's inverse document frequency in the form that never goes negative,
 * as if 10 more memories held none of the words: PRIOR_MEMORIES), at most
 * w(1), the weight of a word found in one memory only. A memory scores
 *
 *     score = (sum of w(df) over the terms it holds) / (k * w(1))
 *
 * 1 when it holds every word of the question and each word is in no other
 * memory; the share of the question it holds when the words are rare; near
 * 0 when all it shares with the question is a word that most memories
 * hold (the floor drops those). A store of one memory scores a memory
 * holding every word 1. The floor (`minScore`, setting `memoryMinScore`)
 * applies to this score. See docs/memory.md, "Relevance".
 */
import type { MemoryHit, MemoryItem } from "./types.js";

/** The floor the server applies unless set (measured: bench/memory-relevance.ts, docs/memory.md). */
export const DEFAULT_MIN_SCORE = 0.1;

/** How many candidates a store ranks by relevance for a recall of `limit` hits. */
export function candidateCount(limit: number): number {
  return Math.min(Math.max(limit * 4, 40), 400);
}

/**
 * Memories assumed to hold none of the words, on top of the user's own: a
 * store of a few memories cannot tell a common word from the topic they
 * share, so its statistics count fully only as it grows.
 */
export const PRIOR_MEMORIES = 10;

/** A term's weight when `df` of the user's `total` memories hold it (df >= 1). */
function termWeight(df: number, total: number): number {
  return Math.log(1 + (total + PRIOR_MEMORIES - df + 0.5) / (df + 0.5));
}

/**
 * The scorer of one query: given how many of the user's `total` memories
 * hold each term, the score of a memory holding the terms marked in `matched`.
 * @example relevanceScorer([1, 3], 10)([true, false]) // 0.5: one of two words, found in one memory only
 */
export function relevanceScorer(docFreqs: readonly number[], total: number): (matched: readonly boolean[]) => number {
  const best = termWeight(1, Math.max(total, 1));
  const weights = docFreqs.map((df) => (df > 0 ? termWeight(df, total) : 0));
  const most = weights.length * best;
  return (matched) => {
    let got = 0;
    weights.forEach((w, i) => {
      if (matched[i]) got += w;
    });
    return most > 0 ? Math.min(got / most, 1) : 0;
  };
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
  score: (matched: readonly boolean[]) => number,
  options: { limit: number; minScore: number },
): MemoryHit[] {
  return candidates
    .map((c) => ({ item: c.item, score: Math.round(score(c.matched) * 1e6) / 1e6 }))
    .filter((h) => h.score > 0 && h.score >= options.minScore)
    .sort((a, b) => b.score - a.score)
    .slice(0, options.limit);
}

/** `minScore` checked: a number from 0 to 1. */
export function checkMinScore(value: number, what = "minScore"): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) throw new TypeError(`${what} must be a number from 0 to 1, got ${String(value)}`);
  return value;
}
