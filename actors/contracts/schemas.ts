/**
 * Runtime form of the stage contracts: zod schemas of what engines yield or
 * resolve, checked at the stage actors' edge (actors/engine-output.ts) before
 * the machine sees it. The `satisfies` lines keep each schema in step with
 * its TypeScript type in this folder.
 */
import { z } from "zod";
import { ERROR_CODE_PATTERN } from "./errors.js";
import type { MemoryHit, MemoryItem, ToolCall, ToolOutcome } from "./messages.js";
import type { LlmChunk, SttUpdate } from "./stages.js";

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
  // Stores written before interrupted turns were kept do not say: not interrupted.
  interrupted: z.boolean().default(false),
}) satisfies z.ZodType<MemoryItem, unknown>;

/** What `MemoryStore.recall` resolves. */
export const MemoryHitsSchema = z.array(z.object({ item: MemoryItemSchema, score: z.number() })) satisfies z.ZodType<MemoryHit[], unknown>;

const ErrorCodeSchema = z.string().regex(ERROR_CODE_PATTERN);

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
