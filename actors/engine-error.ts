/**
 * The one error class engines throw. `code` is stable and ends up as the
 * `code` of the stage's `*_error` event (timeout, unreachable, ...).
 */
export class EngineError extends Error {
  override readonly name = "EngineError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `err` is the result of an AbortSignal firing. */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === "AbortError" || (err as { code?: string }).code === "ABORT_ERR");
}

/**
 * The error to throw (or reject with) when `signal` aborts: the signal's
 * reason when that is already an AbortError (the stage actors' shared
 * STAGE_STOPPED), else an AbortError with the reason as `cause`. Always
 * named "AbortError", so the actor can tell "stopped on purpose" from a
 * failure with `isAbortError`.
 */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  const err = new DOMException("The operation was aborted", "AbortError");
  Object.defineProperty(err, "cause", { value: reason, enumerable: false });
  return err;
}
