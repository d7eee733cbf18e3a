/**
 * The `remember` and `recall` built-ins: the model keeps and looks up facts
 * and preferences through a MemoryStore, for the user the call is made for
 * (ToolContext.userId, the turn's user; `default` when none is given).
 * Store failures (EngineError locked/full/corrupt/...) surface as
 * `tool_failed` with the store's message.
 */
import { z } from "zod";
import { DEFAULT_USER_ID } from "../../contracts/index.js";
import type { MemoryStore } from "../../memory/types.js";
import { defineTool } from "../registry.js";

/** Input of `remember`. */
export const RememberToolInput = z.object({
  text: z.string().trim().min(1).max(1000).describe("The fact or preference to keep, as a short self-contained sentence"),
  kind: z.enum(["fact", "preference"]).optional().describe("fact (default) or preference"),
  importance: z.number().min(0).max(1).optional().describe("0 (trivia) to 1 (never forget); default 0.6 for facts, 0.7 for preferences"),
});

/** Input of `recall`. */
export const RecallToolInput = z.object({
  query: z.string().trim().min(1).max(500).describe("Words to look for in long-term memory"),
  limit: z.number().int().min(1).max(20).optional().describe("Most memories to return (default 5)"),
});

/** The `remember` tool over `memory`. */
export function createRememberTool(memory: MemoryStore) {
  return defineTool({
    name: "remember",
    description: "Store a fact or preference about the user in long-term memory so it can be recalled in later conversations.",
    input: RememberToolInput,
    timeoutMs: 5000,
    handler: async ({ text, kind, importance }, { signal, userId }) => {
      signal.throwIfAborted();
      const item = await memory.remember({ text, userId: userId ?? DEFAULT_USER_ID, ...(kind ? { kind } : {}), ...(importance !== undefined ? { importance } : {}) });
      return { stored: true, id: item.id, kind: item.kind, importance: item.importance };
    },
  });
}

/** The `recall` tool over `memory`. */
export function createRecallTool(memory: MemoryStore) {
  return defineTool({
    name: "recall",
    description: "Search long-term memory for facts, preferences and past conversations matching the query.",
    input: RecallToolInput,
    timeoutMs: 5000,
    handler: async ({ query, limit }, { signal, userId }) => {
      // The model asked on purpose: every match comes back with its score (the relevance floor is for the recall before each answer).
      const hits = await memory.recall(query, { limit: limit ?? 5, signal, userId: userId ?? DEFAULT_USER_ID, minScore: 0 });
      return {
        count: hits.length,
        memories: hits.map((h) => ({ id: h.item.id, kind: h.item.kind, text: h.item.text, created_at: h.item.createdAt, score: round(h.score) })),
      };
    },
  });
}

function round(n: number): number {
  return Math.round(n * 1e4) / 1e4;
}
