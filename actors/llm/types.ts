/**
 * The language-model engine interface: a conversation in, a stream of text
 * deltas and tool calls out, AbortSignal to cancel.
 */
import type { ChatMessage, LlmChunk, ToolSpec } from "../contracts/index.js";

export type { ChatMessage, LlmChunk, ToolCall, ToolSpec } from "../contracts/index.js";

export interface GenerateRequest {
  messages: ChatMessage[];
  tools: ToolSpec[];
  signal: AbortSignal;
}

export interface LlmEngine {
  /** Engine name, e.g. "ollama", "openai", "builtin", "scripted". */
  readonly name: string;
  /** Model name as the engine reports it. */
  readonly model: string;
  /**
   * Stream one model reply. Deltas come as they arrive; tool calls come whole
   * (engines reassemble split deltas); the stream ends with one `done`.
   * Failures throw EngineError (codes: unreachable, model_not_found,
   * http_error, malformed_stream, stream_cut, timeout, engine_error).
   */
  generate(request: GenerateRequest): AsyncIterable<LlmChunk>;
  close(): Promise<void>;
}
