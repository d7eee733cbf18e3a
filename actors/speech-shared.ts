/**
 * Plumbing shared by the speech engines (actors/tts, actors/stt): the logger
 * shape they accept, the AbortError they throw when the caller aborts, a
 * per-request deadline, and the mapping of HTTP failures to EngineError codes
 * (`unreachable`, `http_error`, `model_not_found`, `timeout`).
 */
import { EngineError, isAbortError } from "./engine-error.js";

/** Structured logger accepted by the speech engines (compatible with server/logger.ts). Messages are static text. */
export interface SpeechLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The AbortError thrown when the caller's signal fires (name "AbortError", the signal's reason as `cause`). */
export function abortError(signal: AbortSignal): DOMException {
  const err = new DOMException("The operation was aborted", "AbortError");
  Object.defineProperty(err, "cause", { value: signal.reason, enumerable: false });
  return err;
}

/** A signal that fires when the caller aborts or `timeoutMs` passes; `timedOut()` says which. Call `dispose()` in a finally. */
export interface Deadline {
  signal: AbortSignal;
  timedOut(): boolean;
  dispose(): void;
}

/** Combine the caller's signal with a timer (none when `timeoutMs` is 0). */
export function startDeadline(caller: AbortSignal, timeoutMs: number): Deadline {
  if (!(timeoutMs > 0)) return { signal: caller, timedOut: () => false, dispose() {} };
  const timer = new AbortController();
  let fired = false;
  const handle = setTimeout(() => {
    fired = true;
    timer.abort(new DOMException("deadline passed", "TimeoutError"));
  }, timeoutMs);
  return {
    signal: AbortSignal.any([caller, timer.signal]),
    timedOut: () => fired && !caller.aborted,
    dispose: () => clearTimeout(handle),
  };
}

/** Describes the service in error messages: "speech server at http://127.0.0.1:8880/v1". */
export interface ServiceInfo {
  service: string;
  baseUrl: string;
  timeoutMs: number;
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL",
  "ECONNRESET", "EPIPE", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_SOCKET",
]);

/**
 * Map a failed fetch (or a failed read of its body) to the error to throw:
 * the caller's AbortError, EngineError `timeout`, `unreachable`, or
 * `engine_error` for anything else.
 */
export function fetchFailure(err: unknown, caller: AbortSignal, deadline: Deadline, info: ServiceInfo): Error {
  if (caller.aborted) return abortError(caller);
  if (deadline.timedOut()) {
    return new EngineError("timeout", `The ${info.service} at ${info.baseUrl} did not answer within ${info.timeoutMs} ms.`, { cause: err });
  }
  if (err instanceof EngineError) return err;
  const code = networkCode(err);
  if (code !== null && UNREACHABLE_CODES.has(code)) {
    return new EngineError(
      "unreachable",
      `Cannot reach the ${info.service} at ${info.baseUrl} (${code}). Is it running, and is the URL right?`,
      { cause: err },
    );
  }
  if (isAbortError(err)) return new EngineError("engine_error", `The request to the ${info.service} was aborted.`, { cause: err });
  const detail = err instanceof Error ? err.message : String(err);
  return new EngineError("engine_error", `The request to the ${info.service} at ${info.baseUrl} failed: ${detail}`, { cause: err });
}

/**
 * Turn a non-2xx response into EngineError: `model_not_found` for a 404
 * whose body names the model (OpenAI's `model_not_found` code, or a message
 * mentioning the model), `http_error` (with the status) otherwise.
 */
export async function httpFailure(response: Response, info: ServiceInfo, model: string): Promise<EngineError> {
  const body = await readExcerpt(response);
  const message = errorMessageFromBody(body);
  if (response.status === 404 && (/model_not_found/.test(body) || (model !== "" && body.includes(model)) || /\bmodel\b/i.test(message))) {
    return new EngineError(
      "model_not_found",
      `The ${info.service} at ${info.baseUrl} does not have model "${model}" (HTTP 404${message ? `: ${message}` : ""}).`,
    );
  }
  return new EngineError(
    "http_error",
    `The ${info.service} at ${info.baseUrl} answered HTTP ${response.status}${message ? `: ${message}` : ""}.`,
  );
}

/** Build `{baseUrl}/{path}` without doubling or dropping slashes. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

const EXCERPT_CHARS = 200;

async function readExcerpt(response: Response): Promise<string> {
  try {
    return (await response.text()).slice(0, 4096);
  } catch {
    return "";
  }
}

function errorMessageFromBody(body: string): string {
  let text = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object") {
      const obj = parsed as { error?: unknown; detail?: unknown; message?: unknown };
      const candidate =
        (typeof obj.error === "object" && obj.error !== null ? (obj.error as { message?: unknown }).message : obj.error) ??
        obj.detail ?? obj.message;
      if (typeof candidate === "string") text = candidate;
      else if (candidate !== undefined) text = JSON.stringify(candidate);
    }
  } catch {
    // Not JSON: quote the text itself.
  }
  text = text.replace(/\s+/g, " ").trim();
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}...` : text;
}

function networkCode(err: unknown): string | null {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}
