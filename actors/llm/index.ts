/** The language-model stage: engine interface, actor logic, sentence splitter and engines (test fakes: ./testing/). */
export type { ChatMessage, GenerateRequest, LlmChunk, LlmEngine, ToolCall, ToolSpec } from "./types.js";
export { createLlmLogic, generateRound, type LlmLogicOptions } from "./actor.js";
export { SentenceSplitter, splitSentences } from "./sentences.js";
export { OllamaEngine, OllamaOptionsSchema, listOllamaModels, OLLAMA_DEFAULT_BASE_URL, OLLAMA_DEFAULT_DEADLINE_MS, type OllamaOptions } from "./ollama.js";
export { OpenAiChatEngine, OpenAiChatOptionsSchema, OPENAI_DEFAULT_BASE_URL, OPENAI_DEFAULT_DEADLINE_MS, type OpenAiChatOptions } from "./openai.js";
export { BuiltinResponder, type BuiltinResponderOptions } from "./builtin.js";
export { selectLlmEngine, LlmConfigSchema, LLM_PROBE_TIMEOUT_MS, type LlmConfig, type LlmConfigInput, type LlmSelection } from "./select.js";
