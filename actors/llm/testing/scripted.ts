/**
 * A language model that streams a scripted answer, for demo_flow and tests
 * (shipped). It can ask for tool calls first (then answers once the tool
 * results are in the conversation), and it can be slow, fail or hang on
 * demand. Latencies are configurable so benchmarks can simulate real models.
 */
import { EngineError } from "../../engine-error.js";
import { aborted, sleep } from "../../sleep.js";
import type { ChatMessage, GenerateRequest, LlmChunk, LlmEngine, ToolCall } from "../types.js";

/** What the scripted model says to one request. */
export type ScriptedAnswer = string | ((request: { messages: ChatMessage[]; round: number }) => string);

export interface ScriptedLlmOptions {
  /** The answer text; a function can read the conversation (e.g. tool results). Default: echoes the user. */
  answer?: ScriptedAnswer;
  /** Tool calls to request in the first round of a turn (before any tool message follows the last user message). */
  toolCalls?: Array<{ name: string; arguments: unknown }>;
  /** Delay before the first chunk (ms). Default 0. */
  firstTokenMs?: number;
  /** Delay before each further chunk (ms). Default 0. */
  tokenMs?: number;
  /** Fail with this code after `afterTokens` tokens (default 0). */
  failWith?: { code: string; message?: string; afterTokens?: number };
  /** Never produce anything; only an abort ends the stream. */
  hang?: boolean;
  /** Stream only the first N tokens, then hang (a model that stalls mid-answer). */
  hangAfterTokens?: number;
  name?: string;
  model?: string;
}

/** One `generate` call as the engine saw it (for tests). */
export interface ScriptedLlmRequest {
  messages: ChatMessage[];
  toolNames: string[];
  signal: AbortSignal;
  /** Chunks yielded, in order. */
  yielded: LlmChunk[];
}

/** Split text into word tokens that keep their leading whitespace ("Hello", " world", "."). */
export function tokenize(text: string): string[] {
  return text.match(/\s*[^\s]+/g) ?? [];
}

/** Scripted model; see the module comment. */
export class ScriptedLlmEngine implements LlmEngine {
  readonly name: string;
  readonly model: string;
  readonly requests: ScriptedLlmRequest[] = [];
  readonly #o: ScriptedLlmOptions;
  #callSeq = 0;

  constructor(options: ScriptedLlmOptions = {}) {
    this.#o = options;
    this.name = options.name ?? "scripted";
    this.model = options.model ?? "scripted-1";
  }

  generate(request: GenerateRequest): AsyncIterable<LlmChunk> {
    const entry: ScriptedLlmRequest = {
      messages: structuredClone(request.messages),
      toolNames: request.tools.map((t) => t.name),
      signal: request.signal,
      yielded: [],
    };
    this.requests.push(entry);
    return this.#run(entry, request.signal);
  }

  async *#run(entry: ScriptedLlmRequest, signal: AbortSignal): AsyncGenerator<LlmChunk> {
    const o = this.#o;
    const out = (c: LlmChunk) => {
      entry.yielded.push(c);
      return c;
    };
    const hang = async (): Promise<never> => {
      await aborted(signal);
      throw signal.reason instanceof Error ? signal.reason : new DOMException("The operation was aborted", "AbortError");
    };
    if (o.hang) await hang();
    const { messages } = entry;
    const lastUser = messages.map((m) => m.role).lastIndexOf("user");
    const round = messages.slice(lastUser + 1).filter((m) => m.role === "assistant").length;
    await sleep(o.firstTokenMs ?? 0, signal);
    if (round === 0 && o.toolCalls?.length) {
      for (const c of o.toolCalls) {
        const call: ToolCall = { id: `call_${++this.#callSeq}`, name: c.name, arguments: c.arguments };
        yield out({ kind: "tool_call", call });
      }
      yield out({ kind: "done", finishReason: "tool_calls" });
      return;
    }
    const text = typeof o.answer === "function" ? o.answer({ messages, round }) : (o.answer ?? defaultAnswer(messages));
    const tokens = tokenize(text);
    for (let i = 0; i < tokens.length; i++) {
      if (o.failWith && i === (o.failWith.afterTokens ?? 0)) throw new EngineError(o.failWith.code, o.failWith.message ?? "Scripted model failure");
      if (o.hangAfterTokens !== undefined && i === o.hangAfterTokens) await hang();
      if (i > 0) await sleep(o.tokenMs ?? 0, signal);
      yield out({ kind: "delta", text: tokens[i]! });
    }
    if (o.failWith && tokens.length <= (o.failWith.afterTokens ?? 0)) throw new EngineError(o.failWith.code, o.failWith.message ?? "Scripted model failure");
    yield out({ kind: "done", finishReason: "stop" });
  }

  async close(): Promise<void> {}
}

function defaultAnswer(messages: ChatMessage[]): string {
  const user = [...messages].reverse().find((m) => m.role === "user");
  const tool = [...messages].reverse().find((m) => m.role === "tool");
  const heard = user ? user.content.replace(/[.!?…]+$/u, "") : "nothing";
  if (tool && tool.role === "tool") return `You asked: ${heard}. The ${tool.name} tool says ${tool.content}. Anything else?`;
  return `You asked: ${heard}. That is all I know. Anything else?`;
}
