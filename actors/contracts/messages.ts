/**
 * What flows between the stages as data: chat messages, the tool calls a
 * model asks for and their outcomes, and memories. The machine keeps these
 * in its context; the engines and the tool runner produce and consume them.
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

/** One message of a conversation. `cut` marks an answer that was interrupted before its end. */
export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: ToolCall[]; cut?: boolean }
  | { role: "tool"; toolCallId: string; name: string; content: string };

/** The result of one tool call. A failure is data (the model is told), never a throw. */
export type ToolOutcome =
  | { ok: true; callId: string; name: string; result: unknown; preview: string; durationMs: number }
  | {
      ok: false;
      callId: string;
      name: string;
      /** unknown_tool, invalid_arguments, timeout, tool_failed, cancelled */
      code: string;
      message: string;
      issues?: { path: string; message: string }[];
      durationMs: number;
    };

export type MemoryKind = "turn" | "fact" | "preference";

/** One long-term memory. */
export interface MemoryItem {
  id: string;
  kind: MemoryKind;
  text: string;
  /** 0 (trivia) to 1 (never forget). */
  importance: number;
  /** ISO 8601 UTC. */
  createdAt: string;
  turnId: string | null;
  /**
   * A turn cut short (stop, barge-in, shutdown): its answer part is only what
   * was heard up to the cut. Absent or false otherwise (and for facts).
   */
  interrupted?: boolean;
}

/** A recalled memory with its relevance (higher is better). */
export interface MemoryHit {
  item: MemoryItem;
  score: number;
}
