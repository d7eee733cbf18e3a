/**
 * Tools: a name, a description, a zod schema for the input and a handler.
 * The registry validates input, enforces deadlines and describes tools to
 * models as JSON Schema.
 */
import type { z } from "zod";
import type { ToolCall, ToolOutcome, ToolSpec } from "../contracts/index.js";

export type { ToolOutcome } from "../contracts/index.js";

export interface ToolContext {
  signal: AbortSignal;
  /** The user the call is made for (the turn's user, actors/contracts/user.ts); tools that keep per-user data use it, `default` when absent. */
  userId?: string;
}

// `any` by default so tools of different inputs fit one array (Tool[]); defineTool infers the real type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Tool<I = any, O = unknown> {
  name: string;
  description: string;
  input: z.ZodType<I>;
  /** Deadline for one call; the registry's default when omitted. */
  timeoutMs?: number;
  handler(input: I, context: ToolContext): O | Promise<O>;
}

export interface ToolRunner {
  /** JSON Schema descriptions for models with native tool calling. */
  specs(): ToolSpec[];
  /** Validate and run one call. Never throws: failures are `ok: false` outcomes. */
  run(call: ToolCall, options: { signal: AbortSignal; userId?: string }): Promise<ToolOutcome>;
}
