/**
 * HTTP plumbing shared by the HTTP language-model engines (Ollama,
 * OpenAI-compatible): one deadline per request combined with the caller's
 * AbortSignal, fetch failures mapped to EngineError codes a person can act
 * on, a streamed body read as UTF-8 lines, and error-body excerpts with
 * secrets removed.
 */
import { EngineError, isAbortError } from "../engine-error.js";

/** Structured logger accepted by the engines (compatible with server/logger.ts). */
export interface LlmLogger {
  info(message: string, fields?: Record<string, string | number | boolean | null | undefined>): void;
  warn(message: string, fields?: Record<string, string | number | boolean | null | undefined>): void;
  error(message: string, fields?: Record<string, string | number | boolean | null | undefined>): void;
}

/** Longest excerpt of an error body quoted in an EngineError message. */
const BODY_EXCERPT_CHARS = 200;

/** Error codes from Node/undici that mean "nothing is listening there" or "no such host". */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "ECONNRESET",
  "EPIPE",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
]);

/**
 * The AbortError thrown when the caller's signal fires. Always the same
 * shape (name "AbortError", the signal's reason as `cause`) so the actor can
 * tell "stopped on purpose" from a failure with `isAbortError`.
 */
export function abortError(signal: AbortSignal): DOMException {
  const err = new DOMException("The operation was aborted", "AbortError");
  Object.defineProperty(err, "cause", { value: signal.reason, enumerable: false });
  return err;
}

/**
 * A signal that fires when the caller aborts or when `deadlineMs` passes,
 * whichever comes first. `timedOut()` says which; `dispose()` clears the
 * timer (call it in a finally).
 */
export interface Deadline {
  signal: AbortSignal;
  timedOut(): boolean;
  dispose(): void;
}

/** Combine the caller's signal with a deadline timer (no timer when `deadlineMs` is 0/undefined). */
export function startDeadline(caller: AbortSignal, deadlineMs: number | undefined): Deadline {
  if (!deadlineMs || deadlineMs <= 0) return { signal: caller, timedOut: () => false, dispose() {} };
  const timer = new AbortController();
  let fired = false;
  const handle = setTimeout(() => {
    fired = true;
    timer.abort(new DOMException("deadline passed", "TimeoutError"));
  }, deadlineMs);
  return {
    signal: AbortSignal.any([caller, timer.signal]),
    // The caller's abort wins over a deadline that fired in the same tick.
    timedOut: () => fired && !caller.aborted,
    dispose: () => clearTimeout(handle),
  };
}

/** The innermost `code` of an error chain (undici wraps socket errors in `cause`, sometimes in an AggregateError). */
export function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const errors = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = errorCode(errors[0]);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** What an engine needs to describe itself in error messages. */
export interface ServiceInfo {
  /** Human name of the service, e.g. "Ollama" or "the OpenAI-compatible server". */
  service: string;
  /** Base URL as configured (never carries the API key). */
  baseUrl: string;
  /** One sentence telling the person how to start or configure the server. */
  startHint: string;
}

/**
 * Map a failure that happened before or during a request to EngineError,
 * or rethrow an AbortError when the caller aborted.
 * `phase` says whether the response head had arrived ("body") or not ("connect").
 */
export function mapFetchFailure(
  err: unknown,
  info: ServiceInfo,
  url: string,
  caller: AbortSignal,
  deadline: Deadline,
  deadlineMs: number | undefined,
  phase: "connect" | "body",
): Error {
  if (err instanceof EngineError) return err;
  if (caller.aborted) return abortError(caller);
  if (deadline.timedOut()) {
    return new EngineError(
      "timeout",
      `${info.service} at ${info.baseUrl} did not finish within ${deadlineMs} ms` +
        (phase === "connect" ? " (no response yet)" : " (the answer was still streaming)") +
        "; raise the deadline or use a smaller model.",
      { cause: err },
    );
  }
  const code = errorCode(err);
  if (phase === "body") {
    return new EngineError(
      "stream_cut",
      `The connection to ${info.service} at ${info.baseUrl} was cut mid-answer${code ? ` (${code})` : ""}; the server may have crashed or restarted.`,
      { cause: err },
    );
  }
  if (isAbortError(err)) {
    // An abort we did not ask for (neither caller nor deadline): treat as a cut.
    return new EngineError("stream_cut", `The request to ${info.service} at ${info.baseUrl} was aborted.`, { cause: err });
  }
  const reason = code ?? (err instanceof Error ? err.message : String(err));
  const verdict = code && UNREACHABLE_CODES.has(code) ? "is unreachable" : "could not be reached";
  return new EngineError("unreachable", `${info.service} at ${url} ${verdict} (${reason}). ${info.startHint}`, {
    cause: err,
  });
}

/** Up to BODY_EXCERPT_CHARS of a body, whitespace collapsed, with every secret replaced by "[redacted]". */
export function excerpt(body: string, secrets: readonly (string | undefined)[] = []): string {
  let text = body.replace(/\s+/g, " ").trim();
  for (const secret of secrets) if (secret) text = text.split(secret).join("[redacted]");
  return text.length > BODY_EXCERPT_CHARS ? `${text.slice(0, BODY_EXCERPT_CHARS)}…` : text;
}

/** `text` without a final full stop, so it can end a sentence of ours without doubling it. */
export function clause(text: string): string {
  return text.replace(/[.\s]+$/, "");
}

/** Read an error response body as text without letting a huge or stalled body hold us up for long. */
export async function readErrorBody(response: Response): Promise<string> {
  try {
    const text = await response.text();
    return text.slice(0, 4096);
  } catch {
    return "";
  }
}

/** The `error` message inside a JSON error body (`{"error":"..."}`, `{"error":{"message":"..."}}` or `{"message":"..."}`). */
export function errorMessageOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (!parsed || typeof parsed !== "object") return undefined;
    const error = (parsed as { error?: unknown }).error;
    if (typeof error === "string") return error;
    if (error && typeof error === "object" && typeof (error as { message?: unknown }).message === "string") {
      return (error as { message: string }).message;
    }
    const message = (parsed as { message?: unknown }).message;
    return typeof message === "string" ? message : undefined;
  } catch {
    return undefined;
  }
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
