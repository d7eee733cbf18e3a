/**
 * HTTP bits of the language-model engines (Ollama, OpenAI-compatible) on top
 * of the plumbing every engine shares (actors/http.ts): the LLM wording of
 * fetch failures (which names the server, the deadline and how to start it),
 * a streamed body read as UTF-8 lines, and sentence helpers for error text.
 */
import type { z } from "zod";
import { EngineError } from "../engine-error.js";
import { abortError, excerpt, fetchFailure, startDeadline, type Deadline, type ServiceInfo } from "../http.js";


/** What a language-model engine needs to describe itself in error messages. */
export interface LlmServiceInfo extends ServiceInfo {
  /** One sentence telling the person how to start or configure the server. */
  startHint: string;
}

/**
 * Map a failure that happened before or during a request to EngineError,
 * or rethrow an AbortError when the caller aborted. An EngineError of ours
 * passes through unchanged. `phase` says whether the response head had
 * arrived ("body": every other failure is a cut stream) or not ("connect").
 */
export function mapFetchFailure(
  err: unknown,
  info: LlmServiceInfo,
  url: string,
  caller: AbortSignal,
  deadline: Deadline,
  deadlineMs: number | undefined,
  phase: "connect" | "body",
): Error {
  return fetchFailure(err, {
    caller,
    deadline,
    engineErrorFirst: true,
    describe: (fault) => {
      if (fault.kind === "timeout") {
        return new EngineError(
          "timeout",
          `${info.service} at ${info.baseUrl} did not finish within ${deadlineMs} ms` +
            (phase === "connect" ? " (no response yet)" : " (the answer was still streaming)") +
            "; raise the deadline or use a smaller model.",
          { cause: err },
        );
      }
      const { code } = fault;
      if (phase === "body") {
        return new EngineError(
          "stream_cut",
          `The connection to ${info.service} at ${info.baseUrl} was cut mid-answer${code ? ` (${code})` : ""}; the server may have crashed or restarted.`,
          { cause: err },
        );
      }
      if (fault.aborted) {
        // An abort we did not ask for (neither caller nor deadline): treat as a cut.
        return new EngineError("stream_cut", `The request to ${info.service} at ${info.baseUrl} was aborted.`, { cause: err });
      }
      const reason = code ?? (err instanceof Error ? err.message : String(err));
      const verdict = fault.unreachable ? "is unreachable" : "could not be reached";
      return new EngineError("unreachable", `${info.service} at ${url} ${verdict} (${reason}). ${info.startHint}`, {
        cause: err,
      });
    },
  });
}

/** `text` without a final full stop, so it can end a sentence of ours without doubling it. */
export function clause(text: string): string {
  return text.replace(/[.\s]+$/, "");
}

/**
 * The body of a streamed response as lines (without the line break),
 * decoded as UTF-8 across chunk boundaries. The last line is yielded even
 * without a trailing newline. Stopping the iteration early cancels the body,
 * which closes the connection.
 */
export async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  // stream: true keeps a multi-byte character split across two chunks whole.
  const decoder = new TextDecoder("utf-8");
  let pending = "";
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      let newline = pending.indexOf("\n");
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        yield line.endsWith("\r") ? line.slice(0, -1) : line;
        newline = pending.indexOf("\n");
      }
    }
    pending += decoder.decode();
    if (pending.length > 0) yield pending.endsWith("\r") ? pending.slice(0, -1) : pending;
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** `url` without trailing slashes (the engines join paths to their base URL). */
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/**
 * Options of an engine constructor, checked with `schema`.
 * @throws TypeError "Invalid <label> option <path>: <problem>"; for a key in
 * `secrets` the problem never quotes the value.
 */
export function parseEngineOptions<S extends z.ZodType>(schema: S, options: unknown, label: string, secrets: readonly string[] = []): z.output<S> {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.join(".") || "(options)";
  // zod messages can quote the received value; for a key that would leak it.
  const message = secrets.includes(path) ? "must be a non-empty string" : (issue?.message ?? "invalid");
  throw new TypeError(`Invalid ${label} option ${path}: ${message}`);
}

/** How to ask a model server for its models. */
export interface ModelListRequest {
  info: LlmServiceInfo;
  /** Path under the base URL, e.g. "/api/tags" or "/models". */
  path: string;
  headers: Record<string, string>;
  /** Secrets to redact from quoted error bodies. */
  secrets?: readonly (string | undefined)[];
  /** The model names in the parsed reply, or undefined when it is not a model list. */
  names: (json: unknown) => string[] | undefined;
  /** The sentence (after the URL) of the malformed_stream error, e.g. "did not answer like Ollama". */
  notAList: (text: string) => string;
  signal: AbortSignal;
  /** Bounds the whole request. Default 2000. */
  timeoutMs?: number;
}

/**
 * GET the model list of a model server (Ollama's /api/tags, an OpenAI-compatible /models).
 * @throws EngineError unreachable | timeout | http_error | malformed_stream; AbortError when `signal` fires.
 */
export async function listServerModels(request: ModelListRequest): Promise<string[]> {
  const { info, signal, timeoutMs = 2000 } = request;
  if (signal.aborted) throw abortError(signal);
  const url = `${info.baseUrl}${request.path}`;
  const deadline = startDeadline(signal, timeoutMs);
  try {
    let text: string;
    let status: number;
    try {
      const response = await fetch(url, { headers: request.headers, signal: deadline.signal });
      status = response.status;
      text = await response.text();
    } catch (err) {
      throw mapFetchFailure(err, info, url, signal, deadline, timeoutMs, "connect");
    }
    if (status < 200 || status > 299) {
      throw new EngineError("http_error", `${info.service} at ${info.baseUrl} answered HTTP ${status} to GET ${request.path}: ${clause(excerpt(text, request.secrets))}.`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const names = request.names(json);
    if (!names) throw new EngineError("malformed_stream", `${url} ${request.notAList(text)}`);
    return names;
  } finally {
    deadline.dispose();
  }
}
