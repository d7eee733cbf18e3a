/**
 * The stage contracts: the one module that machines/ and actors/ both
 * import, and that imports nothing else from the project. Data that flows
 * between stages (chat messages, tool calls and outcomes, memories, PCM
 * formats), each stage actor's input, events and output, and the zod
 * schemas of engine output.
 */
export type { AudioSourceKind, PcmFormat } from "./audio.js";
export type { ChatMessage, MemoryHit, MemoryItem, MemoryKind, ToolCall, ToolOutcome, ToolSpec } from "./messages.js";
export type {
  DemoSttInput,
  LlmChunk,
  LlmEvent,
  LlmInput,
  RecallInput,
  RecallOutput,
  StageEvent,
  StoreInput,
  StoreOutput,
  SttControlEvent,
  SttEvent,
  SttInput,
  SttUpdate,
  ToolsEvent,
  ToolsInput,
  TtsEvent,
  TtsInput,
} from "./stages.js";
export { LlmChunkSchema, MALFORMED_OUTPUT, MemoryHitsSchema, MemoryItemSchema, SttUpdateSchema, ToolCallSchema, ToolOutcomeSchema } from "./schemas.js";
export { MAX_TOOL_CONTENT_CHARS, readToolMessage, shortenText, toolMessageContent, type ToolMessage } from "./tool-message.js";
export { ERROR_CODE_PATTERN, stageErrorCode, stageErrorMessage } from "./errors.js";
