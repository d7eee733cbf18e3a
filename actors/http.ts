/**
 * HTTP and abort plumbing shared by every engine that talks to a server
 * (the language-model engines in actors/llm, the speech engines in
 * actors/tts and actors/stt): the AbortError
 * they throw when the caller aborts, a per-request deadline combined with
 * the caller's signal, the classification of fetch failures (caller abort,
 * deadline, unreachable host, other), and the reading of HTTP error bodies.
 *
 * What differs between the stages stays with them: the wording of each
 * EngineError (actors/llm/http.ts, actors/speech-shared.ts), the
 * `model_not_found` heuristics and the reading of streamed bodies (NDJSON
 * lines, SSE). This module decides *what* happened; the stage says it, so
 * the messages people see stay each engine's own.
 */
import { z } from "zod";
import { EngineError, isAbortError } from "./engine-error.js";

/** An http:// or https:// URL setting (engine base URLs). */
export const HttpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), "must be an http:// or https:// URL");

/**
 * `baseUrl` checked with HttpUrl, for engine constructors.
 * @throws TypeError `<label> baseUrl "<value>" is not an http:// or https:// URL`
 */
export function checkBaseUrl(baseUrl: string, label: string): string {
  if (!HttpUrl.safeParse(baseUrl).success) throw new TypeError(`${label} baseUrl "${baseUrl}" is not an http:// or https:// URL`);
  return baseUrl;
}

import { abortError } from "./engine-error.js";

export { abortError };

/**
 * A signal that fires when the caller aborts or when the deadline passes,
 * whichever comes first. `timedOut()` says which; `dispose()` clears the
 * timer (call it in a finally).
 */
export interface Deadline {
  signal: AbortSignal;
  timedOut(): boolean;
  dispose(): void;
}

/** Combine the caller's signal with a deadline timer (no timer when `deadlineMs` is 0, negative or undefined). */
export function startDeadline(caller: AbortSignal, deadlineMs: number | undefined): Deadline {
  if (deadlineMs === undefined || !(deadlineMs > 0)) return { signal: caller, timedOut: () => false, dispose() {} };
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

/** Error codes from Node/undici that mean "nothing is listening there" or "no such host". */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
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

/** The innermost `code` of an error chain (undici wraps socket errors in `cause`, sometimes in an AggregateError). */
export function systemErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const errors = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = systemErrorCode(errors[0]);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** What an engine needs to name its server in error messages; each stage adds what its wording needs. */
export interface ServiceInfo {
  /** Human name of the service, e.g. "Ollama" or "speech server". */
  service: string;
  /** Base URL as configured (never carries the API key). */
  baseUrl: string;
}

/**
 * A fetch (or body read) failure that is neither the caller's abort nor an
 * EngineError of ours, for the stage to put into words:
 * - `timeout`: the request's deadline passed;
 * - `failed`: anything else, with the innermost error `code` (if any),
 *   whether that code means the host is unreachable, and whether the error
 *   is an abort that neither the caller nor the deadline asked for.
 */
export type FetchFault =
  | { kind: "timeout" }
  | { kind: "failed"; code: string | undefined; unreachable: boolean; aborted: boolean };

/** How {@link fetchFailure} words and orders its checks for one engine family. */
export interface FetchFailureOptions {
  /** The caller's signal: when it has fired, the result is always {@link abortError}. */
  caller: AbortSignal;
  /** The request's deadline (from {@link startDeadline} or an equivalent). */
  deadline: Deadline;
  /**
   * Whether an EngineError passes through unchanged before the caller's
   * abort and the deadline are checked (true) or only after them (false,
   * the default: a late abort or deadline wins over our own error).
   */
  engineErrorFirst?: boolean;
  /** Put the fault into the stage's words. */
  describe(fault: FetchFault): EngineError;
}

/**
 * Map a failure that happened before or during a request to the error to
 * throw: the caller's AbortError, an EngineError of ours unchanged, or the
 * EngineError `describe` makes of the fault.
 */
export function fetchFailure(err: unknown, options: FetchFailureOptions): Error {
  const { caller, deadline, describe } = options;
  if (options.engineErrorFirst && err instanceof EngineError) return err;
  if (caller.aborted) return abortError(caller);
  if (deadline.timedOut()) return describe({ kind: "timeout" });
  if (err instanceof EngineError) return err;
  const code = systemErrorCode(err);
  return describe({
    kind: "failed",
    code,
    unreachable: code !== undefined && UNREACHABLE_CODES.has(code),
    aborted: isAbortError(err),
  });
}

/** Read an error response body as text (at most 4096 characters), "" when the body cannot be read. */
export async function readErrorBody(response: Response): Promise<string> {
  try {
    const text = await response.text();
    return text.slice(0, 4096);
  } catch {
    return "";
  }
}

/** A field of a JSON error body: `error` (a string, or an object's `message`), `detail` (FastAPI) or `message`. */
export type ErrorBodyField = "error" | "detail" | "message";

/** Which fields {@link errorMessageOf} reads and what it does with a value that is not a string. */
export interface ErrorMessageOptions {
  /** Fields to look in, in order. Default ["error", "message"]. */
  fields?: readonly ErrorBodyField[];
  /**
   * false (default): the first field holding a string wins; other values are skipped.
   * true: the first field that is not null/undefined wins, quoted as JSON when it is not a string
   * (FastAPI's `detail` is often a list of validation errors).
   */
  quoteNonString?: boolean;
}

/**
 * The error message inside a JSON error body (`{"error":"..."}`,
 * `{"error":{"message":"..."}}`, `{"message":"..."}`, and with `fields`
 * `{"detail":...}`); undefined when the body is not such JSON.
 */
export function errorMessageOf(body: string, options: ErrorMessageOptions = {}): string | undefined {
  const { fields = ["error", "message"], quoteNonString = false } = options;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== "object") return undefined;
  const obj = parsed as Record<ErrorBodyField, unknown>;
  let found: unknown;
  for (const field of fields) {
    const value = obj[field];
    found = field === "error" && value !== null && typeof value === "object" ? (value as { message?: unknown }).message : value;
    if (typeof found === "string" || (quoteNonString && found !== undefined && found !== null)) break;
  }
  if (typeof found === "string") return found;
  // Like `a ?? b ?? c`: when every field is null/undefined the last one's value is what was found.
  return quoteNonString && found !== undefined ? JSON.stringify(found) : undefined;
}

/** Longest excerpt of an error body quoted in an EngineError message. */
const BODY_EXCERPT_CHARS = 200;

/**
 * Up to 200 characters of `text`, whitespace collapsed, with every secret
 * replaced by "[redacted]"; a cut text ends in `ellipsis`.
 */
export function excerpt(text: string, secrets: readonly (string | undefined)[] = [], ellipsis = "…"): string {
  let result = text.replace(/\s+/g, " ").trim();
  for (const secret of secrets) if (secret) result = result.split(secret).join("[redacted]");
  return result.length > BODY_EXCERPT_CHARS ? `${result.slice(0, BODY_EXCERPT_CHARS)}${ellipsis}` : result;
}

/** Build `{baseUrl}/{path}` without doubling or dropping slashes. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}
