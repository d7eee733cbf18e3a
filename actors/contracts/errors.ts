/**
 * How a stage failure is named: a stable snake_case `code` (EngineError's,
 * or any error that carries one) and a message. The stage actors use it to
 * build their `*.error` events; the turn machine uses it for failed promise
 * actors (memory).
 */

/** What every stable error code looks like, on the wire and between stages: snake_case. */
export const ERROR_CODE_PATTERN = /^[a-z][a-z0-9_]*$/;

/** The stable code of a stage failure: the error's own `code` when it is snake_case, else `fallback`. */
export function stageErrorCode(error: unknown, fallback: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && ERROR_CODE_PATTERN.test(code) ? code : fallback;
}

/** The message of a stage failure. */
export function stageErrorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
