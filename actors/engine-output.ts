/**
 * Validation of engine output at the stage actors' edge. Engines are plugins
 * (HTTP servers, child processes, user code); what they yield or resolve is
 * checked against the stage interface before the voice machine sees it, so a
 * wrong shape becomes the stage's `*_error` with code `malformed_output`
 * instead of crashing the machine or putting an invalid event on the wire.
 * The zod schemas here are the runtime form of the TypeScript interfaces in
 * actors/<stage>/types.ts (the `satisfies` lines keep the two in step).
 */
import { z } from "zod";
import { EngineError } from "./engine-error.js";
import type { LlmChunk, ToolCall } from "./llm/types.js";
import type { MemoryHit, MemoryItem } from "./memory/types.js";
import type { SttUpdate } from "./stt/types.js";
import type { ToolOutcome } from "./tools/types.js";

/** The code of every engine-output validation failure. */
export const MALFORMED_OUTPUT = "malformed_output";

/** A recogniser's update. Confidence outside 0..1 is not an error: the actor reports it as null. */
export const SttUpdateSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("partial"), text: z.string() }),
  z.object({ kind: z.literal("final"), text: z.string(), confidence: z.number().nullable().catch(null) }),
]) satisfies z.ZodType<SttUpdate, unknown>;

/** A tool call as the model asked for it: ids and names are what the wire and the tool runner key on. */
export const ToolCallSchema = z.object({
  id: z.string().min(1).max(256),
  name: z.string().min(1).max(256),
  arguments: z.unknown(),
}) satisfies z.ZodType<ToolCall, unknown>;

/** One chunk of a model's stream. */
export const LlmChunkSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("delta"), text: z.string() }),
  z.object({ kind: z.literal("tool_call"), call: ToolCallSchema }),
  z.object({ kind: z.literal("done"), finishReason: z.enum(["stop", "length", "tool_calls"]) }),
]) satisfies z.ZodType<LlmChunk, unknown>;

/** A stored memory. */
export const MemoryItemSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(["turn", "fact", "preference"]),
  text: z.string(),
  importance: z.number(),
  createdAt: z.string(),
  turnId: z.string().nullable(),
}) satisfies z.ZodType<MemoryItem, unknown>;

/** What `MemoryStore.recall` resolves. */
export const MemoryHitsSchema = z.array(z.object({ item: MemoryItemSchema, score: z.number() })) satisfies z.ZodType<MemoryHit[], unknown>;

const ErrorCodeSchema = z.string().regex(/^[a-z][a-z0-9_]*$/);

/** What `ToolRunner.run` resolves. */
export const ToolOutcomeSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), callId: z.string(), name: z.string(), result: z.unknown(), preview: z.string(), durationMs: z.number() }),
  z.object({
    ok: z.literal(false),
    callId: z.string(),
    name: z.string(),
    code: ErrorCodeSchema,
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    durationMs: z.number(),
  }),
]) satisfies z.ZodType<ToolOutcome, unknown>;

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
