/**
 * Validation of engine output at the stage actors' edge. Engines are plugins
 * (HTTP servers, child processes, user code); what they yield or resolve is
 * checked against the stage interface before the voice machine sees it, so a
 * wrong shape becomes the stage's `*_error` with code `malformed_output`
 * instead of crashing the machine or putting an invalid event on the wire.
 * The zod schemas are stage contracts (actors/contracts/schemas.ts); this
 * module applies them and turns a mismatch into an EngineError.
 */
import type { z } from "zod";
import { EngineError } from "./engine-error.js";
import { MALFORMED_OUTPUT } from "./contracts/index.js";

export { LlmChunkSchema, MALFORMED_OUTPUT, MemoryHitsSchema, MemoryItemSchema, SttUpdateSchema, ToolCallSchema, ToolOutcomeSchema } from "./contracts/index.js";

/**
 * Parse `value` with `schema`, or throw EngineError `malformed_output`
 * saying what was wrong. The message names paths and expected types only,
 * never the value (it may hold user speech or memory text).
 * @example
 * const hits = parseEngineOutput(MemoryHitsSchema, await store.recall(q), "The memory store's recall");
 */
export function parseEngineOutput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new EngineError(MALFORMED_OUTPUT, `${what} is malformed: ${describeIssues(result.error)}`);
}

/** "path: problem; ..." for the first few issues of a zod error. */
export function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join(".") : "(value)"}: ${i.message}`);
  if (error.issues.length > 3) shown.push(`and ${error.issues.length - 3} more`);
  return shown.join("; ");
}
