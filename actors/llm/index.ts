/** The language-model stage: engine interface, actor logic, sentence splitter and scripted engine. */
export type { ChatMessage, GenerateRequest, LlmChunk, LlmEngine, ToolCall, ToolSpec } from "./types.js";
export { createLlmLogic, generateRound, type LlmLogicOptions } from "./actor.js";
export { SentenceSplitter, splitSentences } from "./sentences.js";
export { ScriptedLlmEngine, tokenize, type ScriptedAnswer, type ScriptedLlmOptions, type ScriptedLlmRequest } from "./testing/scripted.js";
