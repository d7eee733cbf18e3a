/**
 * The tool registry: holds tools by name, describes them to models as JSON
 * Schema (generated from each tool's zod schema), and runs calls with
 * argument validation, a deadline and cancellation. A call never throws:
 * every failure is an `ok: false` outcome with a stable code. A handler runs
 * in its call's tool scope (./call-scope.ts), so an error that escapes it
 * asynchronously (a promise left rejected, a throw in its timer) can fail
 * the call too, when the process's error listeners claim it.
 */
import { z } from "zod";
import type { ToolCall, ToolSpec } from "../llm/types.js";
import type { Tool, ToolContext, ToolOutcome, ToolRunner } from "./types.js";
import { shortenText } from "../contracts/index.js";
import { round3 } from "../round3.js";
import { runInToolScope } from "./call-scope.js";

/** Failure codes of ToolOutcome, as tool_error carries them. */
export type ToolErrorCode = "unknown_tool" | "invalid_arguments" | "timeout" | "tool_failed" | "cancelled";

/** Options of ToolRegistry. */
export interface ToolRegistryOptions {
  /** Deadline for a tool that does not set `timeoutMs` (default 10 000 ms). */
  defaultTimeoutMs?: number;
  /** Length of `preview` in outcomes, in characters including the ellipsis (default 200). */
  previewChars?: number;
  /** Tools to register right away. */
  tools?: Tool[];
}

/** Names models accept for functions (OpenAI and Ollama): letters, digits, `_` and `-`, 1 to 64 characters. */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest error message passed on from a failing handler. */
const MAX_MESSAGE_CHARS = 500;

/** Default `previewChars`. */
export const DEFAULT_PREVIEW_CHARS = 200;

/**
 * Define a tool with its input type inferred from the zod schema.
 *
 * @example
 * const echo = defineTool({
 *   name: "echo",
 *   description: "Repeat the text",
 *   input: z.object({ text: z.string() }),
 *   handler: ({ text }) => text,
 * });
 */
export function defineTool<S extends z.ZodType, O>(tool: {
  name: string;
  description: string;
  input: S;
  timeoutMs?: number;
  handler(input: z.output<S>, context: ToolContext): O | Promise<O>;
}): Tool<z.output<S>, O> {
  return tool as Tool<z.output<S>, O>;
}

/**
 * A ToolRunner over registered tools.
 *
 * @example
 * const tools = new ToolRegistry({ defaultTimeoutMs: 5000 }).register(echo);
 * const outcome = await tools.run({ id: "c1", name: "echo", arguments: { text: "hi" } }, { signal });
 */
export class ToolRegistry implements ToolRunner {
  readonly defaultTimeoutMs: number;
  readonly previewChars: number;
  readonly #tools = new Map<string, { tool: Tool; spec: ToolSpec }>();

  constructor(options: ToolRegistryOptions = {}) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 10_000;
    this.previewChars = options.previewChars ?? DEFAULT_PREVIEW_CHARS;
    if (!isPositiveInt(this.defaultTimeoutMs)) throw new TypeError("defaultTimeoutMs must be a positive integer");
    if (!isPositiveInt(this.previewChars) || this.previewChars < 2) throw new TypeError("previewChars must be an integer >= 2");
    for (const tool of options.tools ?? []) this.register(tool);
  }

  /**
   * Add a tool. Its JSON Schema is generated now, so a schema that cannot be
   * described fails here rather than in the middle of a turn.
   * @throws TypeError on a duplicate or invalid name, a missing description,
   *   an input schema that is not an object, or an invalid timeoutMs.
   */
  register<I, O>(tool: Tool<I, O>): this {
    if (typeof tool?.name !== "string" || !TOOL_NAME.test(tool.name)) {
      throw new TypeError(`Invalid tool name ${JSON.stringify(tool?.name)}: use 1-64 letters, digits, "_" or "-"`);
    }
    if (this.#tools.has(tool.name)) throw new TypeError(`A tool named "${tool.name}" is already registered`);
    if (typeof tool.description !== "string" || tool.description.trim() === "") throw new TypeError(`Tool "${tool.name}" needs a description`);
    if (typeof tool.handler !== "function") throw new TypeError(`Tool "${tool.name}" needs a handler function`);
    if (tool.timeoutMs !== undefined && !isPositiveInt(tool.timeoutMs)) throw new TypeError(`Tool "${tool.name}": timeoutMs must be a positive integer`);
    if (typeof (tool.input as { safeParseAsync?: unknown })?.safeParseAsync !== "function") throw new TypeError(`Tool "${tool.name}": input must be a zod schema`);
    const parameters = toParameters(tool.name, tool.input);
    this.#tools.set(tool.name, { tool: tool as Tool, spec: { name: tool.name, description: tool.description, parameters } });
    return this;
  }

  /** Whether a tool with this name is registered. */
  has(name: string): boolean {
    return this.#tools.has(name);
  }

  /** Registered tool names, in registration order. */
  names(): string[] {
    return [...this.#tools.keys()];
  }

  /** JSON Schema descriptions of every tool, in registration order. */
  specs(): ToolSpec[] {
    return [...this.#tools.values()].map(({ spec }) => structuredClone(spec));
  }

  /**
   * Validate and run one call. Never throws. Codes: `unknown_tool`,
   * `invalid_arguments` (with `issues`), `timeout` (the tool's deadline
   * passed; its signal is aborted), `tool_failed` (the handler threw or
   * rejected, or async work it left running failed while the call ran),
   * `cancelled` (`signal` was aborted before or during the call).
   */
  async run(call: ToolCall, options: { signal: AbortSignal; userId?: string }): Promise<ToolOutcome> {
    const started = performance.now();
    const { signal } = options;
    const fail = (code: ToolErrorCode, message: string, issues?: { path: string; message: string }[]): ToolOutcome => ({
      ok: false,
      callId: call.id,
      name: call.name,
      code,
      message,
      ...(issues ? { issues } : {}),
      durationMs: elapsed(started),
    });

    if (signal.aborted) return fail("cancelled", "The tool call was cancelled before it started");
    const entry = this.#tools.get(call.name);
    if (!entry) {
      const known = this.names();
      return fail("unknown_tool", `There is no tool named "${call.name}". Available tools: ${known.length ? known.join(", ") : "none"}`);
    }
    const { tool } = entry;

    const args = normaliseArguments(call.arguments);
    if (!args.ok) return fail("invalid_arguments", args.message, [{ path: "", message: args.message }]);
    const parsed = await tool.input.safeParseAsync(args.value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
      const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
      return fail("invalid_arguments", `Invalid arguments for ${tool.name}: ${summary}`, issues);
    }
    if (signal.aborted) return fail("cancelled", "The tool call was cancelled before it started");

    const timeoutMs = tool.timeoutMs ?? this.defaultTimeoutMs;
    const settled = await runWithDeadline(tool, call.id, parsed.data, signal, timeoutMs, options.userId);
    switch (settled.kind) {
      case "ok":
        return {
          ok: true,
          callId: call.id,
          name: tool.name,
          result: settled.value,
          preview: previewOf(settled.value, this.previewChars),
          durationMs: elapsed(started),
        };
      case "timeout":
        return fail("timeout", `${tool.name} did not finish within ${timeoutMs} ms`);
      case "cancelled":
        return fail("cancelled", `${tool.name} was cancelled`);
      case "error":
        return fail("tool_failed", `${tool.name} failed: ${errorMessage(settled.error)}`);
      case "stray":
        return fail("tool_failed", `${tool.name} failed: ${errorMessage(settled.error)} (raised in async work the handler did not await)`);
    }
  }

  /**
   * Run several calls concurrently; outcomes come back in the order of
   * `calls`, whatever order they finish in.
   */
  runAll(calls: readonly ToolCall[], options: { signal: AbortSignal }): Promise<ToolOutcome[]> {
    return Promise.all(calls.map((call) => this.run(call, options)));
  }
}

type Settled = { kind: "ok"; value: unknown } | { kind: "error"; error: unknown } | { kind: "stray"; error: unknown } | { kind: "timeout" } | { kind: "cancelled" };

/**
 * Run the handler with its own AbortSignal, aborted when the caller aborts
 * or the deadline passes. A handler that ignores its signal is abandoned
 * (its eventual result or error is dropped), so the turn goes on.
 *
 * The handler runs in the call's tool scope, and so does the abort of its
 * signal (its abort listeners). A result is reported one event-loop turn
 * after the handler returns it, so a promise it left rejected and unawaited
 * (Node reports those once the microtasks have run) still fails the call; the
 * registry's own continuations run outside the scope, so nothing of the
 * server is ever attributed to the tool.
 */
function runWithDeadline(tool: Tool, callId: string, input: unknown, signal: AbortSignal, timeoutMs: number, userId: string | undefined): Promise<Settled> {
  const controller = new AbortController();
  return new Promise<Settled>((resolve) => {
    let done = false;
    const finish = (s: Settled): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", callerOnAbort);
      resolve(s);
      return true;
    };
    const scope = { kind: "call", tool: tool.name, callId, fail: (error: unknown) => finish({ kind: "stray", error }) } as const;
    const abort = (reason: unknown) => runInToolScope(scope, () => controller.abort(reason));
    const callerOnAbort = () => {
      abort(signal.reason);
      finish({ kind: "cancelled" });
    };
    const timer = setTimeout(() => {
      abort(new DOMException(`${tool.name} deadline of ${timeoutMs} ms passed`, "TimeoutError"));
      finish({ kind: "timeout" });
    }, timeoutMs);
    signal.addEventListener("abort", callerOnAbort, { once: true });
    // `then` so a handler that throws synchronously is caught the same way.
    const handled = runInToolScope(scope, () => Promise.resolve().then(() => tool.handler(input, { signal: controller.signal, userId })));
    handled.then(
      (value) => setImmediate(() => finish({ kind: "ok", value })),
      (error: unknown) => finish({ kind: "error", error }),
    );
  });
}

/** Models send `{}`, `null`, `""` or nothing for tools without arguments; engines may hand over unparsed JSON text. */
function normaliseArguments(raw: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  if (raw === undefined || raw === null) return { ok: true, value: {} };
  if (typeof raw !== "string") return { ok: true, value: raw };
  if (raw.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false, message: "Arguments are not valid JSON; send a JSON object matching the tool's parameters" };
  }
}

function toParameters(name: string, schema: z.ZodType): Record<string, unknown> {
  let json: Record<string, unknown>;
  try {
    json = z.toJSONSchema(schema, { io: "input", unrepresentable: "throw", reused: "inline" }) as Record<string, unknown>;
  } catch (err) {
    throw new TypeError(`Tool "${name}": its input schema cannot be described as JSON Schema (${errorMessage(err)})`, { cause: err });
  }
  delete json.$schema;
  if (json.type !== "object") throw new TypeError(`Tool "${name}": input must be an object schema (z.object), got ${JSON.stringify(json.type ?? "a non-object")}`);
  return json;
}

/**
 * A tool result as one line of text for events and logs: strings as they
 * are, anything else as JSON (String() when it is not serialisable),
 * whitespace runs collapsed to one space, cut to `maxChars` characters with
 * a trailing "…".
 */
export function previewOf(value: unknown, maxChars: number = DEFAULT_PREVIEW_CHARS): string {
  let text: string;
  if (typeof value === "string") text = value;
  else if (value === undefined) text = "";
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return shortenText(text.replace(/\s+/g, " ").trim(), maxChars);
}

// The tool message format is a stage contract (actors/contracts/tool-message.ts).
export { MAX_TOOL_CONTENT_CHARS, toolMessageContent } from "../contracts/index.js";

function errorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : typeof err === "string" ? err : "the handler threw a non-Error value";
  return shortenText(message, MAX_MESSAGE_CHARS);
}

function elapsed(started: number): number {
  return round3(performance.now() - started);
}

function isPositiveInt(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n > 0;
}
