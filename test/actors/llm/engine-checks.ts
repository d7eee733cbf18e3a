/**
 * Shared steps of the HTTP model-engine tests (Ollama, OpenAI-compatible):
 * the one-message request they send, running it to the EngineError it
 * must end with (keeping the chunks that arrived before it), and aborting
 * it after its first chunk.
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

/** Run `request` on `engine` and abort right after the first chunk; what arrived and what was thrown. */
export async function abortAfterFirst(engine: LlmEngine): Promise<{ seen: LlmChunk[]; caught: unknown }> {
  const controller = new AbortController();
  const seen: LlmChunk[] = [];
  let caught: unknown;
  try {
    for await (const c of engine.generate(request(controller.signal))) {
      seen.push(c);
      controller.abort();
    }
  } catch (err) {
    caught = err;
  }
  return { seen, caught };
}
