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
