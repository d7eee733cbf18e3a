/**
 * The `remember` and `recall` tools act for the user of the call: the
 * tools stage passes the turn's user (ToolsInput.userId) to the runner, the
 * registry hands it to the tool (ToolContext.userId), and the memory tools
 * keep and look up that user's memories; without one, `default`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { InMemoryStore } from "../../../actors/memory/in-memory.js";
import { createToolsLogic } from "../../../actors/tools/actor.js";
import { createBuiltinTools } from "../../../actors/tools/builtins/index.js";
import { defineTool, ToolRegistry } from "../../../actors/tools/registry.js";
import type { ToolOutcome } from "../../../actors/tools/types.js";
import { z } from "zod";
import { host, type Hosted } from "../host.js";

const signal = () => new AbortController().signal;
const result = (o: ToolOutcome) => {
  if (!o.ok) throw new Error(`expected ok, got ${o.code}: ${o.message}`);
  return o.result as { count: number; memories: { text: string }[] };
};

let h: Hosted | undefined;
afterEach(() => h?.close());

describe("memory tools", () => {
  it("remember and recall act for the call's user only", async () => {
    const memory = new InMemoryStore();
    const registry = new ToolRegistry({ tools: createBuiltinTools({ memory }) });
    const run = (name: string, args: unknown, userId?: string) => registry.run({ id: "c", name, arguments: args }, { signal: signal(), userId });

    expect((await run("remember", { text: "My locker is number 17" }, "ana")).ok).toBe(true);
    expect((await run("remember", { text: "My locker is number 42" })).ok).toBe(true);
    expect(result(await run("recall", { query: "locker" }, "ana")).memories.map((m) => m.text)).toEqual(["My locker is number 17"]);
    expect(result(await run("recall", { query: "locker" }, "default")).memories.map((m) => m.text)).toEqual(["My locker is number 42"]);
    expect(result(await run("recall", { query: "locker" })).memories.map((m) => m.text)).toEqual(["My locker is number 42"]);
    expect(result(await run("recall", { query: "locker" }, "ben"))).toEqual({ count: 0, memories: [] });
    expect((await memory.list({ userId: "ana" })).map((m) => m.text)).toEqual(["My locker is number 17"]);
  });

  it("the recall tool returns every match with its score, below the store's floor too", async () => {
    const memory = new InMemoryStore({ minScore: 1 });
    const registry = new ToolRegistry({ tools: createBuiltinTools({ memory }) });
    await memory.remember({ text: "My locker is number 17 in the east hall" });
    await memory.remember({ text: "The east gate closes at ten" });
    const found = result(await registry.run({ id: "c", name: "recall", arguments: { query: "locker east" } }, { signal: signal() }));
    expect(found.memories.map((m) => m.text)).toEqual(["My locker is number 17 in the east hall", "The east gate closes at ten"]);
    expect(await memory.recall("locker east")).toEqual([]);
  });
});

describe("tools stage", () => {
  it("hands the turn's user to every tool it runs, and none when the turn names none", async () => {
    const seen: (string | undefined)[] = [];
    const whoami = defineTool({ name: "whoami", description: "Who the call is for", input: z.object({}), handler: (_input, { userId }) => (seen.push(userId), userId ?? "nobody") });
    const runner = new ToolRegistry({ tools: [whoami] });
    h = host(createToolsLogic({ runner }), { turnId: "t1", userId: "ana", calls: [{ id: "a", name: "whoami", arguments: {} }] });
    await h.waitFor((e) => e.type === "tools.done");
    h.close();
    h = host(createToolsLogic({ runner }), { turnId: "t2", calls: [{ id: "b", name: "whoami", arguments: {} }] });
    await h.waitFor((e) => e.type === "tools.done");
    expect(seen).toEqual(["ana", undefined]);
  });
});
