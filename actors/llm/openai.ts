/**
 * OpenAI-compatible chat-completions engine: POST {baseUrl}/chat/completions
 * with `stream: true`, server-sent events (`data: {...}` and `data: [DONE]`),
 * content deltas streamed as they come and tool-call deltas (split across
 * chunks by index) reassembled into whole calls. One engine for llama.cpp's
 * server, vLLM, LM Studio, LocalAI and hosted APIs. The API key goes in the
 * Authorization header only: it is never logged and is removed from any
 * server text quoted in an error message.
 */
import type { Logger } from "../logger.js";
import { z } from "zod";
import { EngineError } from "../engine-error.js";
import { abortError, errorMessageOf, excerpt, readErrorBody, startDeadline, type Deadline } from "../http.js";
import { clause, listServerModels, mapFetchFailure, parseEngineOptions, readLines, trimSlash, type LlmServiceInfo } from "./http.js";
import { toFunctionTools } from "./function-tools.js";
import { parseSse } from "./sse.js";
import type { ChatMessage, GenerateRequest, LlmChunk, LlmEngine, ToolCall } from "./types.js";
import { HttpUrl } from "../http.js";

/** Default base URL: llama.cpp's server on its standard port. */
export const OPENAI_DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1";

/** Default deadline for one reply (ms). */
export const OPENAI_DEFAULT_DEADLINE_MS = 120_000;


/** Options of OpenAiChatEngine (validated at construction). */
export const OpenAiChatOptionsSchema = z.object({
  /** API root that holds /chat/completions, default http://127.0.0.1:8080/v1. */
  baseUrl: HttpUrl.default(OPENAI_DEFAULT_BASE_URL),
  /** Model name as the server knows it (llama.cpp ignores it; vLLM and hosted APIs need it). */
  model: z.string().min(1),
  /** Bearer token; the caller reads it from the environment (CODA_OPENAI_API_KEY / OPENAI_API_KEY). */
  apiKey: z.string().min(1).optional(),
  /** Sent as the first system message of every request. */
  systemPrompt: z.string().optional(),
  /** Sampling temperature. */
  temperature: z.number().min(0).max(2).optional(),
  /** Upper bound on generated tokens (`max_tokens`). */
  maxTokens: z.number().int().positive().optional(),
  /** Deadline for one reply in ms, 0 for none. */
  deadlineMs: z.number().int().min(0).default(OPENAI_DEFAULT_DEADLINE_MS),
});
export type OpenAiChatOptions = z.input<typeof OpenAiChatOptionsSchema> & { logger?: Logger };

/** One streamed chat.completion.chunk (unknown fields ignored). */
const ChunkSchema = z.object({
  choices: z
    .array(
      z.object({
        index: z.number().optional(),
        delta: z
          .object({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int().min(0).optional(),
                  id: z.string().nullish(),
                  function: z
                    .object({ name: z.string().nullish(), arguments: z.string().nullish() })
                    .nullish(),
                })
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .optional(),
  error: z.unknown().optional(),
});

const ModelsSchema = z.object({ data: z.array(z.object({ id: z.string() })) });

/** Conversation in the chat-completions message shape. */
export function toOpenAiMessages(messages: ChatMessage[], systemPrompt?: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (systemPrompt) out.push({ role: "system", content: systemPrompt });
  for (const m of messages) {
    switch (m.role) {
      case "system":
      case "user":
        out.push({ role: m.role, content: m.content });
        break;
      case "assistant":
        if (m.toolCalls?.length) {
          out.push({
            role: "assistant",
            // Several servers reject an empty string next to tool_calls; null is the documented form.
            content: m.content === "" ? null : m.content,
            tool_calls: m.toolCalls.map((c) => ({
              id: c.id,
              type: "function",
              function: { name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments ?? {}) },
            })),
          });
        } else {
          out.push({ role: "assistant", content: m.content });
        }
        break;
      case "tool":
        out.push({ role: "tool", tool_call_id: m.toolCallId, content: m.content });
        break;
    }
  }
  return out;
}

/** A tool call being assembled from its deltas. */
interface PartialCall {
  id: string | undefined;
  name: string;
  args: string;
}

function finishCall(partial: PartialCall, index: number): ToolCall {
  let args: unknown;
  const raw = partial.args.trim();
  if (raw === "") args = {};
  else {
    try {
      args = JSON.parse(raw) as unknown;
    } catch {
      // The contract: the raw string when it does not parse; the tool registry reports invalid_arguments.
      args = partial.args;
    }
  }
  return { id: partial.id ?? `call_${index}`, name: partial.name, arguments: args };
}

/**
 * Language model behind an OpenAI-compatible /chat/completions endpoint.
 *
 * @example
 * const llm = new OpenAiChatEngine({
 *   baseUrl: "http://127.0.0.1:8000/v1", model: "Qwen/Qwen2.5-7B-Instruct",
 *   apiKey: process.env.CODA_OPENAI_API_KEY,
 * });
 */
export class OpenAiChatEngine implements LlmEngine {
  readonly name = "openai";
  readonly model: string;
  readonly baseUrl: string;
  readonly #options: z.output<typeof OpenAiChatOptionsSchema>;
  readonly #logger: Logger | undefined;
  readonly #info: LlmServiceInfo;

  /** @throws TypeError when an option is invalid (the message names it, never its value). */
  constructor(options: OpenAiChatOptions) {
    this.#options = parseEngineOptions(OpenAiChatOptionsSchema, options, "OpenAI-compatible", ["apiKey"]);
    this.#logger = options.logger;
    this.model = this.#options.model;
    this.baseUrl = trimSlash(this.#options.baseUrl);
    this.#info = {
      service: "The OpenAI-compatible server",
      baseUrl: this.baseUrl,
      startHint:
        "Start the server (for example `llama-server -m model.gguf --port 8080`) or set CODA_OPENAI_BASE_URL to its /v1 address.",
    };
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "text/event-stream" };
    if (this.#options.apiKey) headers.authorization = `Bearer ${this.#options.apiKey}`;
    return headers;
  }

  /**
   * Model ids the server offers (GET {baseUrl}/models).
   * @throws EngineError unreachable | timeout | http_error | malformed_stream
   */
  async listModels({ signal, timeoutMs = 2000 }: { signal: AbortSignal; timeoutMs?: number }): Promise<string[]> {
    return listServerModels({
      info: this.#info,
      path: "/models",
      headers: this.#headers(),
      secrets: [this.#options.apiKey],
      names: (json) => {
        const parsed = ModelsSchema.safeParse(json);
        return parsed.success ? parsed.data.data.map((m) => m.id) : undefined;
      },
      notAList: () => "did not answer with a model list; check CODA_OPENAI_BASE_URL.",
      signal,
      timeoutMs,
    });
  }

  async *generate(request: GenerateRequest): AsyncGenerator<LlmChunk> {
    const { signal } = request;
    if (signal.aborted) throw abortError(signal);
    const o = this.#options;
    const url = `${this.baseUrl}/chat/completions`;
    const body = {
      model: this.model,
      messages: toOpenAiMessages(request.messages, o.systemPrompt),
      stream: true,
      ...(request.tools.length > 0 ? { tools: toFunctionTools(request.tools) } : {}),
      ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
      ...(o.maxTokens !== undefined ? { max_tokens: o.maxTokens } : {}),
    };

    const deadline = startDeadline(signal, o.deadlineMs);
    try {
      let response: Response;
      try {
        response = await fetch(url, { method: "POST", headers: this.#headers(), body: JSON.stringify(body), signal: deadline.signal });
      } catch (err) {
        throw mapFetchFailure(err, this.#info, url, signal, deadline, o.deadlineMs, "connect");
      }
      if (!response.ok) throw await this.#httpFailure(response, signal, deadline);
      if (!response.body) throw new EngineError("stream_cut", `${this.#info.service} at ${this.baseUrl} answered without a body.`);

      const calls = new Map<number, PartialCall>();
      let finishReason: string | undefined;
      let eventNumber = 0;
      const finish = function* (): Generator<LlmChunk> {
        const indexes = [...calls.keys()].sort((a, b) => a - b);
        for (const index of indexes) yield { kind: "tool_call", call: finishCall(calls.get(index)!, index) };
        const reason = calls.size > 0 ? "tool_calls" : finishReason === "length" ? "length" : "stop";
        yield { kind: "done", finishReason: reason };
      };

      try {
        for await (const event of parseSse(readLines(response.body))) {
          eventNumber++;
          const data = event.data.trim();
          if (data === "[DONE]") {
            yield* finish();
            return;
          }
          let json: unknown;
          try {
            json = JSON.parse(data);
          } catch {
            throw this.#malformed(eventNumber, data);
          }
          const parsed = ChunkSchema.safeParse(json);
          if (!parsed.success) throw this.#malformed(eventNumber, data);
          if (parsed.data.error !== undefined && parsed.data.error !== null) {
            const detail = errorMessageOf(data) ?? data;
            throw new EngineError(
              "engine_error",
              `${this.#info.service} reported an error mid-answer: ${excerpt(detail, [o.apiKey])}`,
            );
          }
          // n is always 1 here: only the first choice is ours.
          const choice = parsed.data.choices?.find((c) => (c.index ?? 0) === 0);
          if (!choice) continue;
          const content = choice.delta?.content;
          if (content) yield { kind: "delta", text: content };
          for (const [position, delta] of (choice.delta?.tool_calls ?? []).entries()) {
            // Some servers omit `index` when they send one call per chunk; fall back to the position.
            const index = delta.index ?? position;
            let partial = calls.get(index);
            if (!partial) {
              partial = { id: undefined, name: "", args: "" };
              calls.set(index, partial);
            }
            if (delta.id) partial.id = delta.id;
            const name = delta.function?.name;
            // Split names are concatenated; a server that repeats the whole name in every delta is not doubled.
            if (name && name !== partial.name) partial.name = partial.name === "" ? name : partial.name + name;
            if (delta.function?.arguments) partial.args += delta.function.arguments;
          }
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
      } catch (err) {
        // A reset after finish_reason lost nothing but the [DONE] marker.
        if (finishReason !== undefined && !signal.aborted && !deadline.timedOut() && !(err instanceof EngineError)) {
          yield* finish();
          return;
        }
        throw mapFetchFailure(err, this.#info, url, signal, deadline, o.deadlineMs, "body");
      }
      if (signal.aborted) throw abortError(signal);
      // Some servers end a finished stream without [DONE]; a finish_reason says the answer is whole.
      if (finishReason !== undefined) {
        yield* finish();
        return;
      }
      throw new EngineError(
        "stream_cut",
        `${this.#info.service} at ${this.baseUrl} ended the answer without finish_reason or [DONE]; the server may have crashed or restarted.`,
      );
    } finally {
      deadline.dispose();
    }
  }

  async close(): Promise<void> {
    // Nothing held between requests: fetch's connection pool closes idle sockets by itself.
  }

  #malformed(eventNumber: number, data: string): EngineError {
    return new EngineError(
      "malformed_stream",
      `${this.#info.service} at ${this.baseUrl} sent an event that is not a chat-completion chunk (event ${eventNumber}: ${excerpt(data, [this.#options.apiKey])}); check that the base URL ends in /v1.`,
    );
  }

  async #httpFailure(response: Response, signal: AbortSignal, deadline: Deadline): Promise<Error> {
    const text = await readErrorBody(response);
    if (signal.aborted) return abortError(signal);
    if (deadline.timedOut()) {
      return new EngineError("timeout", `${this.#info.service} at ${this.baseUrl} did not finish within ${this.#options.deadlineMs} ms.`);
    }
    const detail = excerpt(errorMessageOf(text) ?? text, [this.#options.apiKey]);
    const status = response.status;
    this.#logger?.warn("openai-compatible request failed", { status });
    if (status === 404 && /model/i.test(detail)) {
      return new EngineError(
        "model_not_found",
        `${this.#info.service} at ${this.baseUrl} has no model "${this.model}" (${detail}). Set CODA_LLM_MODEL to one listed by GET ${this.baseUrl}/models.`,
      );
    }
    const hint =
      status === 401 || status === 403
        ? " Check the API key (CODA_OPENAI_API_KEY or OPENAI_API_KEY)."
        : status === 404
          ? ` Check that CODA_OPENAI_BASE_URL is the API root that holds /chat/completions (usually ending in /v1).`
          : status === 429
            ? " The server is rate limiting; try again later."
            : "";
    return new EngineError(
      "http_error",
      `${this.#info.service} at ${this.baseUrl} answered HTTP ${status}${detail ? `: ${clause(detail)}` : ""}.${hint}`,
    );
  }
}
