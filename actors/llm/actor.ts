/**
 * The language-model stage as XState logic: one model request (a round).
 * Deltas go back as `llm.delta`; complete sentences are cut from them as
 * they stream and sent as `llm.sentence` (so speech can start while the model
 * generates); the round ends with one `llm.done` (with any tool calls) or
 * `llm.error`. Stopping the actor aborts the request; nothing is sent back
 * after that.
 */
import { fromCallback, type AnyEventObject } from "xstate";
import type { LlmEvent, LlmInput } from "../../machines/voice-types.js";
import { EngineError, isAbortError } from "../engine-error.js";
import { SentenceSplitter } from "./sentences.js";
import type { LlmEngine, ToolCall, ToolSpec } from "./types.js";

export interface LlmLogicOptions {
  engine: LlmEngine;
  /** Tools offered to the model on every round. Default: none. */
  tools?: () => ToolSpec[];
}

/** Logic for the machine's `llm` slot. */
export function createLlmLogic(options: LlmLogicOptions) {
  return fromCallback<AnyEventObject, LlmInput>(({ input, sendBack }) => {
    const controller = new AbortController();
    let open = true;
    void generateRound(options.engine, input, options.tools?.() ?? [], controller.signal, (e) => {
      if (open) sendBack(e);
    });
    return () => {
      open = false;
      controller.abort();
    };
  });
}

/** Stream one round and report it with `send` (nothing after `signal` aborts). */
export async function generateRound(
  engine: LlmEngine,
  input: LlmInput,
  tools: ToolSpec[],
  signal: AbortSignal,
  send: (event: LlmEvent) => void,
): Promise<void> {
  const splitter = new SentenceSplitter();
  const calls: ToolCall[] = [];
  try {
    for await (const chunk of engine.generate({ messages: input.messages, tools, signal })) {
      if (signal.aborted) return;
      if (chunk.kind === "delta") {
        if (typeof chunk.text !== "string") throw new EngineError("malformed_stream", "The model sent a delta without text");
        if (!chunk.text) continue;
        send({ type: "llm.delta", text: chunk.text });
        for (const sentence of splitter.push(chunk.text)) send({ type: "llm.sentence", text: sentence });
      } else if (chunk.kind === "tool_call") {
        calls.push(chunk.call);
      } else if (chunk.kind === "done") {
        const rest = splitter.flush();
        if (rest) send({ type: "llm.sentence", text: rest });
        const finishReason = calls.length > 0 ? "tool_calls" : chunk.finishReason === "tool_calls" ? "stop" : chunk.finishReason;
        send({ type: "llm.done", finishReason, toolCalls: calls });
        return;
      }
    }
    if (!signal.aborted) send({ type: "llm.error", code: "stream_cut", message: "The model's stream ended without a finish" });
  } catch (err) {
    if (signal.aborted || isAbortError(err)) return;
    send({
      type: "llm.error",
      code: err instanceof EngineError ? err.code : "engine_error",
      message: err instanceof Error ? err.message : String(err),
    });
  }
}
