/**
 * The language-model engine interface: a conversation in, a stream of text
 * deltas and tool calls out, AbortSignal to cancel.
 */

/** A tool the model may call, described by JSON Schema (from the tool's zod schema). */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the tool's arguments object. */
  parameters: Record<string, unknown>;
}

/** One call the model asked for. `arguments` is parsed JSON (or the raw string if it did not parse). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: unknown;
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: ToolCall[]; cut?: boolean }
  | { role: "tool"; toolCallId: string; name: string; content: string };

export type LlmChunk =
  | { kind: "delta"; text: string }
  | { kind: "tool_call"; call: ToolCall }
  | { kind: "done"; finishReason: "stop" | "length" | "tool_calls" };

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
