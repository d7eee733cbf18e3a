/** get_time, remember/recall, system_info and the createBuiltinTools factory, run through a ToolRegistry. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import type { MemoryStore } from "../../../actors/memory/types.js";
import { BUILTIN_TOOL_NAMES, createBuiltinTools, packageVersion } from "../../../actors/tools/builtins/index.js";
import { ToolRegistry } from "../../../actors/tools/registry.js";
import type { ToolOutcome } from "../../../actors/tools/types.js";

const signal = () => new AbortController().signal;
const result = (o: ToolOutcome) => {
  if (!o.ok) throw new Error(`expected ok, got ${o.code}: ${o.message}`);
  return o.result as Record<string, unknown>;
};

describe("createBuiltinTools", () => {
  it("creates the five fixed tool names, or three without memory", () => {
    const memory = new SqliteMemoryStore({ path: ":memory:" });
    expect(new ToolRegistry({ tools: createBuiltinTools({ memory }) }).names()).toEqual([...BUILTIN_TOOL_NAMES]);
    expect(new ToolRegistry({ tools: createBuiltinTools() }).names()).toEqual(["get_time", "calculate", "system_info"]);
    return memory.close();
  });
});

describe("get_time", () => {
  // 2026-07-01T12:00:00Z: summer time in Berlin (+02:00), standard time in Sydney (+10:00).
  const now = () => new Date("2026-07-01T12:00:00.000Z");
  const registry = new ToolRegistry({ tools: createBuiltinTools({ timezone: "UTC", now }) });
  const run = (args: unknown) => registry.run({ id: "t", name: "get_time", arguments: args }, { signal: signal() });

  it("gives the time in the requested IANA zone, with daylight saving", async () => {
    expect(result(await run({ timezone: "Europe/Berlin" }))).toEqual({
      timezone: "Europe/Berlin",
      iso: "2026-07-01T12:00:00.000Z",
      local: "2026-07-01 14:00:00",
      weekday: "Wednesday",
      utc_offset: "+02:00",
    });
    expect(result(await run({ timezone: "Australia/Sydney" }))).toMatchObject({ local: "2026-07-01 22:00:00", utc_offset: "+10:00" });
    expect(result(await run({ timezone: "Asia/Kolkata" }))).toMatchObject({ local: "2026-07-01 17:30:00", utc_offset: "+05:30" });
  });

  it("uses the default zone when none is given", async () => {
    expect(result(await run({}))).toMatchObject({ timezone: "UTC", local: "2026-07-01 12:00:00", utc_offset: "+00:00" });
  });

  it("refuses an unknown zone with invalid_arguments", async () => {
    expect(await run({ timezone: "Mars/Olympus_Mons" })).toMatchObject({
      ok: false,
      code: "invalid_arguments",
      issues: [{ path: "timezone", message: "Unknown time zone; use an IANA name such as Europe/Berlin, America/New_York or UTC" }],
    });
  });

  it("refuses an unknown default zone at creation", () => {
    expect(() => createBuiltinTools({ timezone: "Nowhere/Land" })).toThrow(new TypeError('Unknown default time zone "Nowhere/Land"'));
  });
});

describe("remember and recall", () => {
  let memory: SqliteMemoryStore;
  let registry: ToolRegistry;
  beforeEach(() => {
    memory = new SqliteMemoryStore({ path: ":memory:" });
    registry = new ToolRegistry({ tools: createBuiltinTools({ memory }) });
  });
  afterEach(() => memory.close());

  it("stores through the memory store and finds it again", async () => {
    const stored = result(await registry.run({ id: "r1", name: "remember", arguments: { text: "The user is allergic to peanuts", importance: 0.9 } }, { signal: signal() }));
    expect(stored).toEqual({ stored: true, id: expect.stringMatching(/^mem_/), kind: "fact", importance: 0.9 });
    await registry.run({ id: "r2", name: "remember", arguments: { text: "The user likes jazz", kind: "preference" } }, { signal: signal() });

    const found = result(await registry.run({ id: "r3", name: "recall", arguments: { query: "peanuts allergy" } }, { signal: signal() }));
    expect(found.count).toBe(1);
    expect(found.memories).toEqual([{ id: stored.id, kind: "fact", text: "The user is allergic to peanuts", created_at: expect.any(String), score: expect.any(Number) }]);
    expect((await memory.list()).map((m) => m.kind)).toEqual(["preference", "fact"]);
  });

  it("validates its arguments", async () => {
    expect(await registry.run({ id: "r", name: "remember", arguments: { text: "x", kind: "turn" } }, { signal: signal() })).toMatchObject({ ok: false, code: "invalid_arguments", issues: [{ path: "kind" }] });
    expect(await registry.run({ id: "r", name: "recall", arguments: { query: "" } }, { signal: signal() })).toMatchObject({ ok: false, code: "invalid_arguments", issues: [{ path: "query" }] });
  });

  it("reports a failing store as tool_failed with the store's message", async () => {
    const broken: MemoryStore = {
      name: "broken",
      recall: async () => { throw new EngineError("corrupt", "The memory database file is corrupt"); },
      remember: async () => { throw new EngineError("locked", "The memory database is locked"); },
      storeTurn: async () => { throw new Error("unused"); },
      list: async () => [],
      forget: async () => false,
      close: async () => {},
    };
    const tools = new ToolRegistry({ tools: createBuiltinTools({ memory: broken }) });
    const outcomes = await tools.runAll(
      [{ id: "1", name: "recall", arguments: { query: "x" } }, { id: "2", name: "remember", arguments: { text: "y" } }],
      { signal: signal() },
    );
    expect(outcomes.map((o) => !o.ok && [o.code, o.message])).toEqual([
      ["tool_failed", "recall failed: The memory database file is corrupt"],
      ["tool_failed", "remember failed: The memory database is locked"],
    ]);
  });
});

describe("system_info", () => {
  it("reports this process by default", async () => {
    const registry = new ToolRegistry({ tools: createBuiltinTools() });
    const info = result(await registry.run({ id: "s", name: "system_info", arguments: {} }, { signal: signal() }));
    expect(info.version).toBe(packageVersion());
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.uptime).toBeGreaterThan(0);
    expect(info.memory).toBeGreaterThan(0);
    expect(info.node).toBe(process.version);
  });

  it("uses the provider it is given", async () => {
    const registry = new ToolRegistry({ tools: createBuiltinTools({ systemInfo: () => ({ version: "9.9.9", uptime: 12, memory: 34, clients: 2 }) }) });
    expect(result(await registry.run({ id: "s", name: "system_info", arguments: null }, { signal: signal() }))).toEqual({ version: "9.9.9", uptime: 12, memory: 34, clients: 2 });
  });
});
