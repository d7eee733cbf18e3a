/**
 * The language-model stage as XState logic: one model request (a round).
 * Deltas go back as `llm.delta`; deltas that arrive in the same event-loop
 * turn (several tokens in one network read) are sent as one, so a fast model
 * does not cost one machine step and one wire frame per token. Complete
 * sentences are cut from them as they stream and sent as `llm.sentence` (so
 * speech can start while the model generates); the round ends with one
 * `llm.done` (with any tool calls) or `llm.error`. Stopping the actor aborts the request; nothing is sent back
 * after that.
 */
import { fromCallback, type AnyEventObject } from "xstate";
import type { LlmEvent, LlmInput } from "../contracts/index.js";
import { EngineError, isAbortError } from "../engine-error.js";
import { LlmChunkSchema, MALFORMED_OUTPUT, parseEngineOutput } from "../engine-output.js";
import { STAGE_STOPPED } from "../sleep.js";
import { SentenceSplitter } from "./sentences.js";
import type { LlmChunk, LlmEngine, ToolCall, ToolSpec } from "./types.js";

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
      controller.abort(STAGE_STOPPED);
    };
  });
}

const isDelta = (chunk: unknown): chunk is { kind: "delta"; text: string } =>
  typeof chunk === "object" && chunk !== null && (chunk as LlmChunk).kind === "delta" && typeof (chunk as { text?: unknown }).text === "string";

/**
 * Stream one round and report it with `send` (nothing after `signal` aborts).
 * A chunk that is not an LlmChunk (or a second tool call with the same id)
 * ends the round with `llm.error` code `malformed_output`.
 */
export async function generateRound(
  engine: LlmEngine,
  input: LlmInput,
  tools: ToolSpec[],
  signal: AbortSignal,
  send: (event: LlmEvent) => void,
): Promise<void> {
  const splitter = new SentenceSplitter();
  const calls: ToolCall[] = [];
  let pending = "";
  let timer: NodeJS.Immediate | undefined;
  const flush = () => {
    clearImmediate(timer);
    timer = undefined;
    if (!pending || signal.aborted) return;
    const text = pending;
    pending = "";
    send({ type: "llm.delta", text });
    for (const sentence of splitter.push(text)) send({ type: "llm.sentence", text: sentence });
  };
  try {
    for await (const raw of engine.generate({ messages: input.messages, tools, signal })) {
      if (signal.aborted) return;
      // Deltas are the hot path (one per token): a plain check first, the schema for everything else.
      const chunk = isDelta(raw) ? raw : parseEngineOutput(LlmChunkSchema, raw, "The model's stream chunk");
      if (chunk.kind === "delta") {
        if (!chunk.text) continue;
        pending += chunk.text;
        timer ??= setImmediate(flush);
      } else if (chunk.kind === "tool_call") {
        flush();
        if (calls.some((c) => c.id === chunk.call.id)) throw new EngineError(MALFORMED_OUTPUT, "The model's stream chunk is malformed: two tool calls share one id");
        calls.push(chunk.call);
      } else if (chunk.kind === "done") {
        flush();
        const rest = splitter.flush();
        if (rest) send({ type: "llm.sentence", text: rest });
        const finishReason = calls.length > 0 ? "tool_calls" : chunk.finishReason === "tool_calls" ? "stop" : chunk.finishReason;
        send({ type: "llm.done", finishReason, toolCalls: calls });
        return;
      }
    }
    flush();
    if (!signal.aborted) send({ type: "llm.error", code: "stream_cut", message: "The model's stream ended without a finish" });
  } catch (err) {
    if (signal.aborted || isAbortError(err)) return clearImmediate(timer);
    flush(); // text that arrived before the failure is part of the partial answer
    send({
      type: "llm.error",
      code: err instanceof EngineError ? err.code : "engine_error",
      message: err instanceof Error ? err.message : String(err),
    });
  }
}
