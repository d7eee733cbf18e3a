/**
 * Ollama engine: POST /api/chat with `stream: true`, one JSON object per
 * line (NDJSON), native tool calling, and GET /api/tags to list the models
 * for auto selection. Options map to Ollama's request fields: `options.temperature`,
 * `options.num_ctx`, `keep_alive`.
 */
import type { Logger } from "../logger.js";
import { z } from "zod";
import { EngineError } from "../engine-error.js";
import { abortError, errorMessageOf, excerpt, readErrorBody, startDeadline } from "../http.js";
import { clause, listServerModels, mapFetchFailure, parseEngineOptions, readLines, trimSlash, type LlmServiceInfo } from "./http.js";
import { toFunctionTools } from "./function-tools.js";
import type { ChatMessage, GenerateRequest, LlmChunk, LlmEngine, ToolCall } from "./types.js";
import { HttpUrl } from "../http.js";

/** Ollama's standard local address. */
export const OLLAMA_DEFAULT_BASE_URL = "http://127.0.0.1:11434";

/** Default deadline for one reply (ms); a cold model load alone can take tens of seconds. */
export const OLLAMA_DEFAULT_DEADLINE_MS = 120_000;


/** Options of OllamaEngine (validated at construction). */
export const OllamaOptionsSchema = z.object({
  /** Server address, default http://127.0.0.1:11434. */
  baseUrl: HttpUrl.default(OLLAMA_DEFAULT_BASE_URL),
  /** Model tag as `ollama list` shows it, e.g. "llama3.2" or "qwen2.5:7b". */
  model: z.string().min(1),
  /** Sent as the first system message of every request. */
  systemPrompt: z.string().optional(),
  /** Sampling temperature (Ollama `options.temperature`). */
  temperature: z.number().min(0).max(2).optional(),
  /** Context length in tokens (Ollama `options.num_ctx`). */
  numCtx: z.number().int().positive().optional(),
  /** How long Ollama keeps the model loaded after the request: a duration ("5m", "1h", "-1") or seconds. */
  keepAlive: z.union([z.string().min(1), z.number()]).optional(),
  /** Deadline for one reply in ms, 0 for none. */
  deadlineMs: z.number().int().min(0).default(OLLAMA_DEFAULT_DEADLINE_MS),
});
export type OllamaOptions = z.input<typeof OllamaOptionsSchema> & { logger?: Logger };

/** One NDJSON line of a streamed /api/chat reply (unknown fields ignored). */
const OllamaChatLineSchema = z.object({
  model: z.string().optional(),
  message: z
    .object({
      role: z.string().optional(),
      content: z.string().optional(),
      tool_calls: z
        .array(
          z.object({
            id: z.string().optional(),
            function: z.object({
              name: z.string(),
              arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
            }),
          }),
        )
        .optional(),
    })
    .optional(),
  done: z.boolean().optional(),
  done_reason: z.string().optional(),
  error: z.string().optional(),
});

function ollamaInfo(baseUrl: string): LlmServiceInfo {
  return { service: "Ollama", baseUrl, startHint: "Start it with `ollama serve` (https://ollama.com), or set CODA_OLLAMA_URL to where it listens." };
}

/** GET /api/tags reply. */
const OllamaTagsSchema = z.object({
  models: z.array(z.object({ name: z.string(), model: z.string().optional() })),
});

/** Ollama wants tool arguments as an object; keep a string that is not JSON as-is. */
function argumentsObject(args: unknown): unknown {
  if (typeof args !== "string") return args ?? {};
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

/** Conversation in Ollama's message shape. */
export function toOllamaMessages(messages: ChatMessage[], systemPrompt?: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (systemPrompt) out.push({ role: "system", content: systemPrompt });
  for (const m of messages) {
    switch (m.role) {
      case "system":
      case "user":
        out.push({ role: m.role, content: m.content });
        break;
      case "assistant":
        out.push({
          role: "assistant",
          content: m.content,
          ...(m.toolCalls?.length
            ? { tool_calls: m.toolCalls.map((c) => ({ function: { name: c.name, arguments: argumentsObject(c.arguments) } })) }
            : {}),
        });
        break;
      case "tool":
        out.push({ role: "tool", content: m.content, tool_name: m.name });
        break;
    }
  }
  return out;
}

/**
 * Language model served by Ollama.
 *
 * @example
 * const llm = new OllamaEngine({ model: "llama3.2", temperature: 0.7 });
 * for await (const chunk of llm.generate({ messages, tools: [], signal })) ...
 */
export class OllamaEngine implements LlmEngine {
  readonly name = "ollama";
  readonly model: string;
  readonly baseUrl: string;
  readonly #options: z.output<typeof OllamaOptionsSchema>;
  readonly #logger: Logger | undefined;
  readonly #info: LlmServiceInfo;

  /** @throws TypeError when an option is invalid (the message names it). */
  constructor(options: OllamaOptions) {
    this.#options = parseEngineOptions(OllamaOptionsSchema, options, "Ollama");
    this.#logger = options.logger;
    this.model = this.#options.model;
    this.baseUrl = trimSlash(this.#options.baseUrl);
    this.#info = ollamaInfo(this.baseUrl);
  }

  /**
   * The models the server has, as `ollama list` names them (GET /api/tags).
   * @throws EngineError unreachable | timeout | http_error | malformed_stream
   */
  async listModels(options: { signal: AbortSignal; timeoutMs?: number }): Promise<string[]> {
    return listOllamaModels(this.baseUrl, options);
  }

  async *generate(request: GenerateRequest): AsyncGenerator<LlmChunk> {
    const { signal } = request;
    if (signal.aborted) throw abortError(signal);
    const url = `${this.baseUrl}/api/chat`;
    const o = this.#options;
    const modelOptions: Record<string, number> = {};
    if (o.temperature !== undefined) modelOptions.temperature = o.temperature;
    if (o.numCtx !== undefined) modelOptions.num_ctx = o.numCtx;
    const body = {
      model: this.model,
      messages: toOllamaMessages(request.messages, o.systemPrompt),
      stream: true,
      ...(request.tools.length > 0 ? { tools: toFunctionTools(request.tools) } : {}),
      ...(Object.keys(modelOptions).length > 0 ? { options: modelOptions } : {}),
      ...(o.keepAlive !== undefined ? { keep_alive: o.keepAlive } : {}),
    };

    const deadline = startDeadline(signal, o.deadlineMs);
    try {
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/x-ndjson" },
          body: JSON.stringify(body),
          signal: deadline.signal,
        });
      } catch (err) {
        throw mapFetchFailure(err, this.#info, url, signal, deadline, o.deadlineMs, "connect");
      }
      if (!response.ok) throw await this.#httpFailure(response, signal, deadline);
      if (!response.body) throw new EngineError("stream_cut", `Ollama at ${this.baseUrl} answered without a body.`);

      let toolCallCount = 0;
      let lineNumber = 0;
      try {
        for await (const line of readLines(response.body)) {
          lineNumber++;
          if (line.trim() === "") continue;
          const parsed = parseLine(line);
          if (!parsed) {
            throw new EngineError(
              "malformed_stream",
              `Ollama at ${this.baseUrl} sent a line that is not a chat chunk (line ${lineNumber}: ${excerpt(line)}); check that the URL points at Ollama.`,
            );
          }
          if (parsed.error !== undefined) {
            throw new EngineError("engine_error", `Ollama reported an error mid-answer: ${excerpt(parsed.error)}`);
          }
          const message = parsed.message;
          if (message?.content) yield { kind: "delta", text: message.content };
          for (const call of message?.tool_calls ?? []) {
            toolCallCount++;
            const toolCall: ToolCall = {
              // Ollama does not always give calls an id; the conversation needs one to pair results.
              id: call.id ?? `ollama_call_${toolCallCount}`,
              name: call.function.name,
              arguments: argumentsObject(call.function.arguments),
            };
            yield { kind: "tool_call", call: toolCall };
          }
          if (parsed.done) {
            const finishReason = toolCallCount > 0 ? "tool_calls" : parsed.done_reason === "length" ? "length" : "stop";
            yield { kind: "done", finishReason };
            return;
          }
        }
      } catch (err) {
        throw mapFetchFailure(err, this.#info, url, signal, deadline, o.deadlineMs, "body");
      }
      if (signal.aborted) throw abortError(signal);
      throw new EngineError(
        "stream_cut",
        `Ollama at ${this.baseUrl} ended the answer without its final "done" line; the server may have crashed or restarted.`,
      );
    } finally {
      deadline.dispose();
    }
  }

  async close(): Promise<void> {
    // Nothing held between requests: fetch's connection pool closes idle sockets by itself.
  }

  async #httpFailure(response: Response, signal: AbortSignal, deadline: ReturnType<typeof startDeadline>): Promise<Error> {
    const text = await readErrorBody(response);
    if (signal.aborted) return abortError(signal);
    if (deadline.timedOut()) {
      return new EngineError("timeout", `Ollama at ${this.baseUrl} did not finish within ${this.#options.deadlineMs} ms.`);
    }
    const detail = errorMessageOf(text) ?? text;
    if (response.status === 404 && /model/i.test(detail)) {
      return new EngineError(
        "model_not_found",
        `Ollama at ${this.baseUrl} has no model "${this.model}" (${excerpt(detail)}). Pull it with \`ollama pull ${this.model}\` or set CODA_LLM_MODEL to a model from \`ollama list\`.`,
      );
    }
    this.#logger?.warn("ollama request failed", { status: response.status });
    return new EngineError(
      "http_error",
      `Ollama at ${this.baseUrl} answered HTTP ${response.status}${detail ? `: ${clause(excerpt(detail))}` : ""}.`,
    );
  }
}

function parseLine(line: string): z.output<typeof OllamaChatLineSchema> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = OllamaChatLineSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/**
 * List the models of the Ollama server at `baseUrl` (GET /api/tags).
 * `timeoutMs` bounds the whole request (default 2000).
 * @throws EngineError unreachable | timeout | http_error | malformed_stream; AbortError when `signal` fires.
 */
export async function listOllamaModels(
  baseUrl: string,
  { signal, timeoutMs = 2000 }: { signal: AbortSignal; timeoutMs?: number },
): Promise<string[]> {
  return listServerModels({
    info: ollamaInfo(trimSlash(baseUrl)),
    path: "/api/tags",
    headers: { accept: "application/json" },
    names: (json) => {
      const parsed = OllamaTagsSchema.safeParse(json);
      return parsed.success ? parsed.data.models.map((m) => m.name) : undefined;
    },
    notAList: (text) => `did not answer like Ollama (${excerpt(text)}); check CODA_OLLAMA_URL.`,
    signal,
    timeoutMs,
  });
}
