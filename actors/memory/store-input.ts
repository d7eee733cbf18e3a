/**
 * What a database store keeps from a `storeTurn` or `remember` call, and
 * the argument rules every store applies alike: the user id
 * (actors/contracts/user.ts), importance from 0 to 1, the kinds, text made
 * well-formed and NFC (text.ts) and cut to `maxTextChars`, and `limit`.
 * Bad arguments are the caller's bug: a TypeError, before anything is
 * written.
 */
import { userIdOf, type MemoryKind } from "../contracts/index.js";
import { recallTerms, searchTerms, type QueryTerm } from "./query-terms.js";
import { checkMinScore } from "./relevance.js";
import { turnMemoryText } from "./turn-text.js";
import { cutText, memoryText } from "./text.js";
import { DEFAULT_IMPORTANCE, type RecallOptions } from "./types.js";

/** Hits or items returned when the caller gives no limit, and the most ever returned. */
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

/** One memory as a store writes it. `user` and `answer` are a turn's two parts (null for facts). */
export interface NewMemory {
  userId: string;
  kind: MemoryKind;
  text: string;
  user: string | null;
  answer: string | null;
  importance: number;
  at: Date;
  turnId: string | null;
  interrupted: boolean;
}

/** A `storeTurn` argument, checked and normalised. */
export function newTurn(
  turn: { turnId: string; user: string; assistant: string; interrupted?: boolean; at?: Date; importance?: number; userId?: string },
  maxTextChars: number,
  now: () => Date,
): NewMemory {
  const userId = userIdOf(turn.userId);
  const at = turn.at ?? now();
  if (Number.isNaN(at.getTime())) throw new TypeError("storeTurn: `at` is not a valid date");
  const importance = checkImportance(turn.importance ?? DEFAULT_IMPORTANCE.turn);
  const interrupted = turn.interrupted ?? false;
  const user = cutText(memoryText(turn.user), maxTextChars);
  const answer = cutText(memoryText(turn.assistant), maxTextChars);
  const text = cutText(turnMemoryText(user, answer, interrupted), maxTextChars);
  return { userId, kind: "turn", text, user, answer, importance, at, turnId: memoryText(turn.turnId), interrupted };
}

/** A `remember` argument, checked and normalised. */
export function newFact(
  fact: { text: string; kind?: Exclude<MemoryKind, "turn">; importance?: number; turnId?: string | null; userId?: string },
  maxTextChars: number,
  now: () => Date,
): NewMemory {
  const userId = userIdOf(fact.userId);
  const kind = fact.kind ?? "fact";
  if (kind !== "fact" && kind !== "preference") throw new TypeError(`remember: kind must be "fact" or "preference", got ${JSON.stringify(kind)}`);
  const text = cutText(memoryText(fact.text).trim(), maxTextChars);
  if (text.length === 0) throw new TypeError("remember: text must not be empty");
  const importance = checkImportance(fact.importance ?? DEFAULT_IMPORTANCE[kind]);
  return { userId, kind, text, user: null, answer: null, importance, at: now(), turnId: fact.turnId == null ? null : memoryText(fact.turnId), interrupted: false };
}

export function checkImportance(value: number): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) throw new TypeError(`importance must be a number from 0 to 1, got ${String(value)}`);
  return value;
}

/** `limit` checked (a positive integer), capped at 100; `fallback` when absent. */
export function checkLimit(limit: number | undefined, fallback = DEFAULT_LIMIT): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`limit must be a positive integer, got ${String(limit)}`);
  return Math.min(limit, MAX_LIMIT);
}

/** `maxItems` and `maxTextChars` options checked: one TypeError naming the bad one. */
export function checkCapacity(maxItems: number, maxTextChars: number): void {
  if (!Number.isInteger(maxItems) || maxItems < 1) throw new TypeError("maxItems must be a positive integer");
  if (!Number.isInteger(maxTextChars) || maxTextChars < 16) throw new TypeError("maxTextChars must be an integer >= 16");
}

/** A recall or search, checked: whose memories, how many, the floor, and the terms (null: nothing to look for). */
export interface LookupRequest {
  userId: string;
  limit: number;
  minScore: number;
  terms: QueryTerm[] | null;
}

/**
 * The arguments of `recall` (`kind` "recall": any word, the store's floor
 * unless the call gives one) or `search` ("search": every word, no floor),
 * checked before anything is read. An already aborted signal throws its reason.
 */
export function lookupRequest(kind: "recall" | "search", query: string, options: RecallOptions, storeMinScore: number): LookupRequest {
  options.signal?.throwIfAborted();
  const userId = userIdOf(options.userId);
  const limit = checkLimit(options.limit);
  if (kind === "search") return { userId, limit, minScore: 0, terms: searchTerms(query) };
  const minScore = options.minScore === undefined ? storeMinScore : checkMinScore(options.minScore);
  return { userId, limit, minScore, terms: recallTerms(query) };
}
