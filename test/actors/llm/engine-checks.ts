/**
 * Shared steps of the HTTP model-engine tests (Ollama, OpenAI-compatible):
 * the one-message request they send, and running it to the EngineError it
 * must end with, keeping the chunks that arrived before it.
 */
import { expect } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import type { LlmChunk, LlmEngine } from "../../../actors/llm/types.js";
import { settle } from "../../helpers/iterables.js";

/** A request of one user message ("hi") with no tools. */
export function request(signal = new AbortController().signal) {
  return { messages: [{ role: "user" as const, content: "hi" }], tools: [], signal };
}

/** Run `request(signal)` on `engine`, expect it to fail with an EngineError, and return that error with the chunks before it. */
export async function failure(engine: LlmEngine, signal?: AbortSignal): Promise<{ items: LlmChunk[]; error: EngineError }> {
  const { items, error } = await settle(engine.generate(request(signal)));
  expect(error).toBeInstanceOf(EngineError);
  return { items, error: error as EngineError };
}
