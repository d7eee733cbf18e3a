/**
 * A ToolRunner for demos and tests (shipped): tools are plain handlers with
 * optional delays, no validation beyond "is it an object". It speaks the
 * same outcome shapes as the real registry (ok / unknown_tool / tool_failed /
 * timeout / cancelled), and its default tools mirror the registry's names
 * (get_time, calculate, system_info) with deterministic results.
 */
import { isAbortError } from "../../engine-error.js";
import type { ToolCall, ToolSpec } from "../../llm/types.js";
import { sleep } from "../../sleep.js";
import type { ToolOutcome, ToolRunner } from "../types.js";

/** One fake tool. */
export interface FakeTool {
  description?: string;
  /** JSON Schema of the arguments (shown to models). Default: any object. */
  parameters?: Record<string, unknown>;
  /** Delay before the handler runs (ms). */
  delayMs?: number;
  /** Deadline for one call (ms); past it the outcome is `timeout`. */
  timeoutMs?: number;
  handler(args: Record<string, unknown>, context: { signal: AbortSignal }): unknown;
}

/** One `run` call as the runner saw it (for tests). */
export interface FakeToolRun {
  call: ToolCall;
  signal: AbortSignal;
  outcome?: ToolOutcome;
}

/** Deterministic stand-ins for the registry's tools. */
export const FAKE_TOOLS: Record<string, FakeTool> = {
  get_time: {
    description: "The current date and time, optionally in an IANA timezone",
    parameters: { type: "object", properties: { timezone: { type: "string" } } },
    handler: (args) => ({ iso: "2026-05-01T12:00:00.000Z", timezone: typeof args.timezone === "string" ? args.timezone : "UTC", text: "12:00" }),
  },
  calculate: {
    description: "Evaluate an arithmetic expression",
    parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] },
    handler: (args) => ({ expression: String(args.expression), value: evaluate(String(args.expression)) }),
  },
  system_info: {
    description: "Facts about the machine Coda runs on",
    parameters: { type: "object", properties: {} },
    handler: () => ({ platform: "fake", cpus: 2 }),
  },
};

/** Fake runner; see the module comment. */
export class FakeToolRunner implements ToolRunner {
  readonly runs: FakeToolRun[] = [];
  readonly #tools: Record<string, FakeTool>;

  constructor(tools: Record<string, FakeTool> = FAKE_TOOLS) {
    this.#tools = tools;
  }

  specs(): ToolSpec[] {
    return Object.entries(this.#tools).map(([name, t]) => ({
      name,
      description: t.description ?? name,
      parameters: t.parameters ?? { type: "object" },
    }));
  }

  async run(call: ToolCall, options: { signal: AbortSignal }): Promise<ToolOutcome> {
    const entry: FakeToolRun = { call, signal: options.signal };
    this.runs.push(entry);
    const started = performance.now();
    const ms = () => performance.now() - started;
    const base = { callId: call.id, name: call.name };
    const tool = this.#tools[call.name];
    const finish = (o: ToolOutcome) => (entry.outcome = o);
    if (!tool) return finish({ ok: false, ...base, code: "unknown_tool", message: `No tool named "${call.name}"`, durationMs: ms() });
    const args = call.arguments;
    if (typeof args !== "object" || args === null || Array.isArray(args)) {
      return finish({ ok: false, ...base, code: "invalid_arguments", message: "Arguments must be an object", issues: [{ path: "", message: "Expected object" }], durationMs: ms() });
    }
    const deadline = new AbortController();
    const signal = AbortSignal.any([options.signal, deadline.signal]);
    const timer = tool.timeoutMs === undefined ? undefined : setTimeout(() => deadline.abort(), tool.timeoutMs);
    try {
      await sleep(tool.delayMs ?? 0, signal);
      const result = await tool.handler(args as Record<string, unknown>, { signal });
      return finish({ ok: true, ...base, result, preview: preview(result), durationMs: ms() });
    } catch (err) {
      if (options.signal.aborted) return finish({ ok: false, ...base, code: "cancelled", message: "The call was cancelled", durationMs: ms() });
      if (deadline.signal.aborted && isAbortError(err)) {
        return finish({ ok: false, ...base, code: "timeout", message: `The tool took longer than ${tool.timeoutMs} ms`, durationMs: ms() });
      }
      return finish({ ok: false, ...base, code: "tool_failed", message: err instanceof Error ? err.message : String(err), durationMs: ms() });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A result as short text (what tool_result.preview shows). */
export function preview(result: unknown, max = 200): string {
  const text = typeof result === "string" ? result : JSON.stringify(result) ?? String(result);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Tiny arithmetic evaluator: numbers, + - * / ^, parentheses, unary minus. Throws on anything else. */
function evaluate(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/^()]|\S/g) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const primary = (): number => {
    const t = next();
    if (t === "(") {
      const v = sum();
      if (next() !== ")") throw new Error("Missing )");
      return v;
    }
    if (t === "-") return -primary();
    if (t !== undefined && /^\d/.test(t)) return Number(t);
    throw new Error(`Unexpected ${t ?? "end of expression"}`);
  };
  const power = (): number => {
    const base = primary();
    if (peek() === "^") {
      next();
      return base ** power();
    }
    return base;
  };
  const product = (): number => {
    let v = power();
    while (peek() === "*" || peek() === "/") v = next() === "*" ? v * power() : v / power();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === "+" || peek() === "-") v = next() === "+" ? v + product() : v - product();
    return v;
  };
  const value = sum();
  if (pos !== tokens.length) throw new Error(`Unexpected ${tokens[pos]}`);
  return value;
}
