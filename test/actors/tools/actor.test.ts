/**
 * The tools stage actor: calls run concurrently and report in call order,
 * cancellation aborts every running call with nothing afterwards, and a
 * runner that throws still yields an outcome for the call.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createToolsLogic } from "../../../actors/tools/actor.js";
import { FakeToolRunner } from "../../../actors/tools/testing/fake-runner.js";
import type { ToolRunner } from "../../../actors/tools/types.js";
import { host, type Hosted } from "../host.js";
import { sleep } from "../../helpers/wait.js";

let h: Hosted;
afterEach(() => h.close());

describe("tools actor", () => {
  it("runs calls concurrently and reports outcomes in call order", async () => {
    const finished: string[] = [];
    const runner = new FakeToolRunner({
      slow: { delayMs: 40, handler: () => (finished.push("slow"), "s") },
      fast: { delayMs: 0, handler: () => (finished.push("fast"), "f") },
    });
    const calls = [
      { id: "a", name: "slow", arguments: {} },
      { id: "b", name: "fast", arguments: {} },
    ];
    h = host(createToolsLogic({ runner }), { turnId: "t1", calls });
    await h.waitFor((e) => e.type === "tools.done");
    expect(finished).toEqual(["fast", "slow"]);
    expect(h.received.map((e) => (e.type === "tools.outcome" ? `${e.outcome.callId}:${e.outcome.ok}` : e.type))).toEqual(["a:true", "b:true", "tools.done"]);
  });

  it("stopping the actor aborts every running call and nothing arrives afterwards", async () => {
    const runner = new FakeToolRunner({ wait: { delayMs: 10_000, handler: () => "never" } });
    h = host(createToolsLogic({ runner }), { turnId: "t1", calls: [{ id: "a", name: "wait", arguments: {} }, { id: "b", name: "wait", arguments: {} }] });
    await sleep(10);
    h.stopChild();
    expect(runner.runs.map((r) => r.signal.aborted)).toEqual([true, true]);
    await sleep(30);
    expect(runner.runs.map((r) => r.outcome && (r.outcome.ok ? "ok" : r.outcome.code))).toEqual(["cancelled", "cancelled"]);
    expect(h.received).toEqual([]);
  });

  it("a runner that throws still gives the call a tool_failed outcome", async () => {
    const runner: ToolRunner = { specs: () => [], run: async () => Promise.reject(new Error("registry exploded")) };
    h = host(createToolsLogic({ runner }), { turnId: "t1", calls: [{ id: "a", name: "x", arguments: {} }] });
    const outcome = await h.waitFor((e) => e.type === "tools.outcome");
    expect(outcome.outcome).toMatchObject({ ok: false, callId: "a", name: "x", code: "tool_failed", message: "registry exploded" });
    await h.waitFor((e) => e.type === "tools.done");
  });
});
