/**
 * Type-level expectations for the public LLM engine API: every engine is an
 * LlmEngine, generate yields LlmChunk, selection returns an LlmEngine.
 */
import { describe, expectTypeOf, it } from "vitest";
import { BuiltinResponder } from "../../../actors/llm/builtin.js";
import { OllamaEngine, type OllamaOptions } from "../../../actors/llm/ollama.js";
import { OpenAiChatEngine, type OpenAiChatOptions } from "../../../actors/llm/openai.js";
import { selectLlmEngine, type LlmConfigInput, type LlmSelection } from "../../../actors/llm/select.js";
import type { GenerateRequest, LlmChunk, LlmEngine } from "../../../actors/llm/types.js";

describe("LLM engine public types", () => {
  it("every engine implements LlmEngine", () => {
    expectTypeOf<OllamaEngine>().toExtend<LlmEngine>();
    expectTypeOf<OpenAiChatEngine>().toExtend<LlmEngine>();
    expectTypeOf<BuiltinResponder>().toExtend<LlmEngine>();
    expectTypeOf<OllamaEngine["generate"]>().parameter(0).toEqualTypeOf<GenerateRequest>();
    expectTypeOf<ReturnType<BuiltinResponder["generate"]>>().toExtend<AsyncIterable<LlmChunk>>();
  });

  it("options require a model and accept a logger", () => {
    expectTypeOf<OllamaOptions>().toHaveProperty("model").toEqualTypeOf<string>();
    expectTypeOf<OpenAiChatOptions>().toHaveProperty("apiKey").toEqualTypeOf<string | undefined>();
    expectTypeOf<LlmConfigInput["engine"]>().toEqualTypeOf<"auto" | "ollama" | "openai" | "builtin" | undefined>();
    expectTypeOf(selectLlmEngine).returns.resolves.toEqualTypeOf<LlmSelection>();
  });
});
