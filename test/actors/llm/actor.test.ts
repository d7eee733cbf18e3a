/**
 * The LLM stage actor: deltas, sentences cut while streaming, tool calls,
 * cancellation (the engine sees the abort and nothing arrives afterwards)
 * and failures (the engine's code becomes llm.error's code).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createLlmLogic } from "../../../actors/llm/actor.js";
import type { LlmChunk, LlmEngine } from "../../../actors/llm/types.js";
import { EngineError } from "../../../actors/engine-error.js";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { host, type Hosted } from "../host.js";
import { sleep } from "../../helpers/wait.js";

let h: Hosted;
afterEach(() => h.close());
const input = { turnId: "t1", round: 0, messages: [{ role: "user" as const, content: "hi" }] };

describe("llm actor", () => {
  it("streams deltas, cuts sentences as they complete, and ends with llm.done", async () => {
    const engine = new ScriptedLlmEngine({ answer: "Hello there. How are you? Fine" });
    h = host(createLlmLogic({ engine }), input);
    await h.waitFor((e) => e.type === "llm.done");
    expect(h.received.map((e) => (e.type === "llm.delta" ? `d:${e.text}` : e.type === "llm.sentence" ? `s:${e.text}` : e.type))).toEqual([
      "d:Hello",
      "d: there.",
      "d: How",
      "s:Hello there.",
      "d: are",
      "d: you?",
      "d: Fine",
      "s:How are you?",
      "s:Fine",
      "llm.done",
    ]);
    expect(h.received.at(-1)).toEqual({ type: "llm.done", finishReason: "stop", toolCalls: [] });
  });

  it("sends deltas that arrive in one event-loop turn as one, and flushes them before a failure", async () => {
    const burst: LlmEngine = {
      name: "x",
      model: "x",
      async *generate() {
        yield { kind: "delta", text: "Fast" } as LlmChunk;
        yield { kind: "delta", text: " tokens." } as LlmChunk;
        yield { kind: "delta", text: " More" } as LlmChunk;
        await new Promise((r) => setTimeout(r, 5));
        yield { kind: "delta", text: " later" } as LlmChunk;
        throw new EngineError("stream_cut", "connection reset");
      },
      close: async () => {},
    };
    h = host(createLlmLogic({ engine: burst }), input);
    await h.waitFor((e) => e.type === "llm.error");
    expect(h.received).toEqual([
      { type: "llm.delta", text: "Fast tokens. More" },
      { type: "llm.sentence", text: "Fast tokens." },
      { type: "llm.delta", text: " later" },
      { type: "llm.error", code: "stream_cut", message: "connection reset" },
    ]);
  });

  it("passes the tools' specs and reports requested tool calls with the done event", async () => {
    const engine = new ScriptedLlmEngine({ toolCalls: [{ name: "get_time", arguments: { timezone: "UTC" } }] });
    h = host(createLlmLogic({ engine, tools: () => [{ name: "get_time", description: "time", parameters: {} }] }), input);
    const done = await h.waitFor((e) => e.type === "llm.done");
    expect(done).toEqual({ type: "llm.done", finishReason: "tool_calls", toolCalls: [{ id: "call_1", name: "get_time", arguments: { timezone: "UTC" } }] });
    expect(engine.requests[0]!.toolNames).toEqual(["get_time"]);
  });

  it("stopping the actor aborts the request and nothing arrives afterwards", async () => {
    const engine = new ScriptedLlmEngine({ answer: "one two three four five six seven eight", tokenMs: 15 });
    h = host(createLlmLogic({ engine }), input);
    await h.waitFor((e) => e.type === "llm.delta" && e.text === " two");
    h.stopChild();
    const count = h.received.length;
    expect(engine.requests[0]!.signal.aborted).toBe(true);
    await sleep(80);
    expect(h.received.length).toBe(count);
    expect(engine.requests[0]!.yielded.length).toBeLessThan(9);
  });

  it("an engine failure becomes llm.error with the engine's code", async () => {
    h = host(createLlmLogic({ engine: new ScriptedLlmEngine({ failWith: { code: "model_not_found", message: "no such model", afterTokens: 1 } }) }), input);
    const err = await h.waitFor((e) => e.type === "llm.error");
    expect(err).toEqual({ type: "llm.error", code: "model_not_found", message: "no such model" });
    expect(h.received.map((e) => e.type)).toEqual(["llm.delta", "llm.error"]);
  });

  it("a stream that ends without done is stream_cut; a plain Error is engine_error", async () => {
    const cut: LlmEngine = { name: "x", model: "x", async *generate() { yield { kind: "delta", text: "Hi" } as LlmChunk; }, close: async () => {} };
    h = host(createLlmLogic({ engine: cut }), input);
    expect(await h.waitFor((e) => e.type === "llm.error")).toEqual({ type: "llm.error", code: "stream_cut", message: "The model's stream ended without a finish" });
    h.close();
    // eslint-disable-next-line require-yield
    const broken: LlmEngine = { name: "x", model: "x", async *generate() { throw new TypeError("bad"); }, close: async () => {} };
    h = host(createLlmLogic({ engine: broken }), input);
    expect(await h.waitFor((e) => e.type === "llm.error")).toEqual({ type: "llm.error", code: "engine_error", message: "bad" });
  });
});
