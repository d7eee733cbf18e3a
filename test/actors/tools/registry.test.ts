/** ToolRegistry: registration, JSON Schema specs, validation, deadlines, failures, cancellation and concurrent runs. */
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { DEFAULT_PREVIEW_CHARS, ToolRegistry, defineTool, previewOf, toolMessageContent } from "../../../actors/tools/registry.js";
import type { ToolOutcome, ToolRunner } from "../../../actors/tools/types.js";
import { until } from "../../helpers/wait.js";

const signal = () => new AbortController().signal;

const add = defineTool({
  name: "add",
  description: "Add two numbers",
  input: z.object({ a: z.number().describe("first"), b: z.number().int().optional() }),
  handler: ({ a, b }) => a + (b ?? 0),
});

describe("register", () => {
  it("refuses duplicate names with TypeError", () => {
    const registry = new ToolRegistry().register(add);
    expect(() => registry.register(add)).toThrow(new TypeError('A tool named "add" is already registered'));
    expect(registry.names()).toEqual(["add"]);
  });

  it("refuses invalid names, missing descriptions, non-object and unrepresentable schemas, bad timeouts", () => {
    const registry = new ToolRegistry();
    const base = { description: "d", input: z.object({}), handler: () => 1 };
    expect(() => registry.register({ ...base, name: "has space" })).toThrow(TypeError);
    expect(() => registry.register({ ...base, name: "x".repeat(65) })).toThrow(TypeError);
    expect(() => registry.register({ ...base, name: "ok", description: " " })).toThrow(new TypeError('Tool "ok" needs a description'));
    expect(() => registry.register({ ...base, name: "ok", input: z.string() })).toThrow(new TypeError('Tool "ok": input must be an object schema (z.object), got "string"'));
    expect(() => registry.register({ ...base, name: "ok", input: z.object({ when: z.date() }) })).toThrow(/cannot be described as JSON Schema/);
    expect(() => registry.register({ ...base, name: "ok", timeoutMs: 0 })).toThrow(TypeError);
    expect(() => registry.register({ ...base, name: "ok", input: {} as never })).toThrow(new TypeError('Tool "ok": input must be a zod schema'));
    expect(registry.names()).toEqual([]);
  });

  it("refuses invalid options at construction", () => {
    expect(() => new ToolRegistry({ defaultTimeoutMs: -5 })).toThrow(new TypeError("defaultTimeoutMs must be a positive integer"));
    expect(() => new ToolRegistry({ previewChars: 1 })).toThrow(TypeError);
  });

  it("is a ToolRunner", () => {
    expectTypeOf(new ToolRegistry()).toExtend<ToolRunner>();
    expectTypeOf(add.handler).parameter(0).toEqualTypeOf<{ a: number; b?: number | undefined }>();
  });
});

describe("specs", () => {
  it("describes each tool by JSON Schema generated from its zod schema, in registration order", () => {
    const registry = new ToolRegistry({ tools: [add] }).register({ name: "noop", description: "Nothing", input: z.object({}), handler: () => null });
    expect(registry.specs()).toEqual([
      {
        name: "add",
        description: "Add two numbers",
        parameters: {
          type: "object",
          properties: {
            a: { type: "number", description: "first" },
            b: { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
          },
          required: ["a"],
        },
      },
      { name: "noop", description: "Nothing", parameters: { type: "object", properties: {} } },
    ]);
  });

  it("hands out copies", () => {
    const registry = new ToolRegistry({ tools: [add] });
    (registry.specs()[0]!.parameters as { type: string }).type = "mutated";
    expect(registry.specs()[0]!.parameters.type).toBe("object");
  });
});

describe("run", () => {
  it("validates, runs and previews a result", async () => {
    const registry = new ToolRegistry({ tools: [add] });
    const outcome = await registry.run({ id: "c1", name: "add", arguments: { a: 2, b: 3 } }, { signal: signal() });
    expect(outcome).toEqual({ ok: true, callId: "c1", name: "add", result: 5, preview: "5", durationMs: expect.any(Number) });
  });

  it("accepts arguments as JSON text and treats null, undefined and empty text as {}", async () => {
    const seen: unknown[] = [];
    const registry = new ToolRegistry({ tools: [add] }).register({
      name: "echo",
      description: "Echo",
      input: z.object({ x: z.number().default(7) }),
      handler: (input) => (seen.push(input), "ok"),
    });
    expect((await registry.run({ id: "1", name: "add", arguments: '{"a": 1, "b": 1}' }, { signal: signal() })).ok).toBe(true);
    for (const args of [null, undefined, "", "  "]) await registry.run({ id: "2", name: "echo", arguments: args }, { signal: signal() });
    expect(seen).toEqual([{ x: 7 }, { x: 7 }, { x: 7 }, { x: 7 }]);
  });

  it("returns invalid_arguments with the zod issues and never calls the handler", async () => {
    let calls = 0;
    const registry = new ToolRegistry().register({ ...add, handler: () => ++calls });
    const outcome = await registry.run({ id: "c2", name: "add", arguments: { a: "two", b: 1.5 } }, { signal: signal() });
    expect(outcome).toEqual({
      ok: false,
      callId: "c2",
      name: "add",
      code: "invalid_arguments",
      message: "Invalid arguments for add: a: Invalid input: expected number, received string; b: Invalid input: expected int, received number",
      issues: [
        { path: "a", message: "Invalid input: expected number, received string" },
        { path: "b", message: "Invalid input: expected int, received number" },
      ],
      durationMs: expect.any(Number),
    });
    const notJson = await registry.run({ id: "c3", name: "add", arguments: "{a: 1" }, { signal: signal() });
    expect(notJson).toMatchObject({ ok: false, code: "invalid_arguments", issues: [{ path: "", message: expect.stringContaining("not valid JSON") }] });
    const notObject = await registry.run({ id: "c4", name: "add", arguments: [1, 2] }, { signal: signal() });
    expect(notObject).toMatchObject({ ok: false, code: "invalid_arguments", issues: [{ path: "", message: "Invalid input: expected object, received array" }] });
    expect(calls).toBe(0);
  });

  it("returns unknown_tool naming the available tools", async () => {
    const registry = new ToolRegistry({ tools: [add] });
    const outcome = await registry.run({ id: "c5", name: "fly", arguments: {} }, { signal: signal() });
    expect(outcome).toMatchObject({ ok: false, callId: "c5", name: "fly", code: "unknown_tool", message: 'There is no tool named "fly". Available tools: add' });
  });

  it("returns tool_failed for handlers that throw synchronously, reject, or throw non-errors", async () => {
    const registry = new ToolRegistry()
      .register({ name: "sync", description: "d", input: z.object({}), handler: () => { throw new Error("disk on fire"); } })
      .register({ name: "async", description: "d", input: z.object({}), handler: async () => Promise.reject(new RangeError("bad range")) })
      .register({ name: "weird", description: "d", input: z.object({}), handler: () => { throw 42; } });
    const outcomes = await registry.runAll(
      [{ id: "a", name: "sync", arguments: {} }, { id: "b", name: "async", arguments: {} }, { id: "c", name: "weird", arguments: {} }],
      { signal: signal() },
    );
    expect(outcomes.map((o) => [o.ok, !o.ok && o.code, !o.ok && o.message])).toEqual([
      [false, "tool_failed", "sync failed: disk on fire"],
      [false, "tool_failed", "async failed: bad range"],
      [false, "tool_failed", "weird failed: the handler threw a non-Error value"],
    ]);
  });

  it("returns timeout for a hanging tool and aborts the tool's signal", async () => {
    let toolSignal: AbortSignal | undefined;
    const registry = new ToolRegistry({ defaultTimeoutMs: 5000 }).register({
      name: "hang",
      description: "Never finishes",
      input: z.object({}),
      timeoutMs: 30,
      handler: (_input, ctx) => {
        toolSignal = ctx.signal;
        return new Promise(() => {});
      },
    });
    const outcome = await registry.run({ id: "h1", name: "hang", arguments: {} }, { signal: signal() });
    expect(outcome).toMatchObject({ ok: false, callId: "h1", code: "timeout", message: "hang did not finish within 30 ms" });
    expect(toolSignal!.aborted).toBe(true);
    expect((toolSignal!.reason as DOMException).name).toBe("TimeoutError");
  });

  it("uses the registry's default deadline when the tool sets none", async () => {
    const registry = new ToolRegistry({ defaultTimeoutMs: 20 }).register({ name: "slow", description: "d", input: z.object({}), handler: () => new Promise(() => {}) });
    expect(await registry.run({ id: "s", name: "slow", arguments: {} }, { signal: signal() })).toMatchObject({ ok: false, code: "timeout", message: "slow did not finish within 20 ms" });
  });

  it("returns cancelled when the caller aborts before or during the call, and passes the abort on", async () => {
    let toolSignal: AbortSignal | undefined;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let calls = 0;
    const registry = new ToolRegistry().register({
      name: "wait",
      description: "Waits for abort",
      input: z.object({}),
      handler: (_i, ctx) => {
        calls++;
        toolSignal = ctx.signal;
        started();
        return new Promise(() => {});
      },
    });
    const before = new AbortController();
    before.abort();
    expect(await registry.run({ id: "w0", name: "wait", arguments: {} }, { signal: before.signal })).toMatchObject({ ok: false, code: "cancelled" });
    expect(calls).toBe(0);

    const during = new AbortController();
    const pending = registry.run({ id: "w1", name: "wait", arguments: {} }, { signal: during.signal });
    await running;
    during.abort(new Error("user barged in"));
    expect(await pending).toMatchObject({ ok: false, callId: "w1", code: "cancelled", message: "wait was cancelled" });
    expect(toolSignal!.aborted).toBe(true);
    expect((toolSignal!.reason as Error).message).toBe("user barged in");
    expect(calls).toBe(1);
  });

  it("drops the late result of a tool that ignored its deadline", async () => {
    let finish!: (v: string) => void;
    const registry = new ToolRegistry().register({ name: "late", description: "d", input: z.object({}), timeoutMs: 10, handler: () => new Promise<string>((r) => (finish = r)) });
    const outcome = await registry.run({ id: "l", name: "late", arguments: {} }, { signal: signal() });
    finish("too late");
    expect(outcome).toMatchObject({ ok: false, code: "timeout" });
  });
});

describe("runAll", () => {
  it("runs calls concurrently and returns outcomes in call order, not finish order", async () => {
    let active = 0;
    let peak = 0;
    const finishOrder: string[] = [];
    const gates = new Map<string, () => void>();
    const registry = new ToolRegistry().register({
      name: "gate",
      description: "Waits until released",
      input: z.object({ key: z.string() }),
      handler: async ({ key }) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((r) => gates.set(key, r));
        active--;
        finishOrder.push(key);
        return key.toUpperCase();
      },
    });
    const calls = ["a", "b", "c"].map((key, i) => ({ id: `c${i}`, name: "gate", arguments: { key } }));
    const all = registry.runAll([...calls, { id: "bad", name: "gate", arguments: {} }], { signal: signal() });
    await until(() => gates.size === 3, "all three tools to start", 5000, 0);
    gates.get("c")!();
    gates.get("a")!();
    gates.get("b")!();
    const outcomes = await all;
    expect(peak).toBe(3);
    expect(finishOrder).toEqual(["c", "a", "b"]);
    expect(outcomes.map((o) => o.callId)).toEqual(["c0", "c1", "c2", "bad"]);
    expect(outcomes.map((o) => (o.ok ? o.result : o.code))).toEqual(["A", "B", "C", "invalid_arguments"]);
  });

  it("returns an empty list for no calls", async () => {
    expect(await new ToolRegistry().runAll([], { signal: signal() })).toEqual([]);
  });
});

describe("previews and model content", () => {
  it(`shortens previews to ${DEFAULT_PREVIEW_CHARS} characters with an ellipsis and collapses whitespace`, async () => {
    const registry = new ToolRegistry({ tools: [{ name: "big", description: "d", input: z.object({}), handler: () => "x".repeat(1000) }] });
    const outcome = await registry.run({ id: "b", name: "big", arguments: {} }, { signal: signal() });
    expect(outcome.ok && outcome.preview).toBe(`${"x".repeat(DEFAULT_PREVIEW_CHARS - 1)}…`);
    expect(previewOf("a \n\t b")).toBe("a b");
    expect(previewOf({ k: [1, 2] })).toBe('{"k":[1,2]}');
    expect(previewOf(undefined)).toBe("");
    expect(previewOf(10n)).toBe("10");
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(previewOf(circular)).toBe("[object Object]");
    expect(previewOf("ab😀c", 4)).toBe("ab…");
    expect(new ToolRegistry({ previewChars: 10 }).previewChars).toBe(10);
  });

  it("gives the model the full result or a structured error it can act on", () => {
    const ok: ToolOutcome = { ok: true, callId: "1", name: "t", result: { a: 1 }, preview: "", durationMs: 1 };
    expect(toolMessageContent(ok)).toBe('{"a":1}');
    expect(toolMessageContent({ ...ok, result: "plain" })).toBe("plain");
    expect(toolMessageContent({ ...ok, result: undefined })).toBe("null");
    const bad: ToolOutcome = { ok: false, callId: "1", name: "t", code: "invalid_arguments", message: "m", issues: [{ path: "a", message: "x" }], durationMs: 1 };
    expect(JSON.parse(toolMessageContent(bad))).toEqual({ error: { code: "invalid_arguments", message: "m", issues: [{ path: "a", message: "x" }] } });
    expect(toolMessageContent({ ...ok, result: "y".repeat(50) }, 10)).toBe(`${"y".repeat(9)}…`);
  });
});
