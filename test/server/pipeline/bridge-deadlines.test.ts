/**
 * Stage deadlines and failures through the bridge: a stage that hangs past
 * its deadline is reported with code `timeout` (the engine sees its signal
 * abort) and the machine rests; engine failures keep their own codes;
 * memory and tool failures are reported and the turn goes on.
 */
import { afterEach, describe, expect, it } from "vitest";
import { client, createFixture, type Fixture } from "./bridge-fixture.js";

let fx: Fixture;
afterEach(async () => {
  await fx.close();
});

// Only the stage under test gets a short deadline, so a loaded machine cannot time out another one.
const SHORT = 60;

describe("deadlines", () => {
  it("stt past its deadline: stt_error timeout, back to idle", async () => {
    fx = createFixture({ stt: { hang: true }, machine: { deadlines: { sttMs: SHORT } } });
    fx.bridge.dispatch({ type: "stt_start", data: { mode: "push_to_talk" } }, client);
    const err = await fx.waitFor((e) => e.type === "stt_error");
    expect(err.data).toEqual({ turn_id: "t1", code: "timeout", message: "No final transcript within 60 ms" });
    await fx.waitForState("idle");
    expect(fx.types("t1")).toEqual(["stt_start", "stt_error", "latency_trace"]);
    expect(fx.stt.calls[0]!.signal.aborted).toBe(true);
  });

  it("stt past its deadline in a continuous session listens again", async () => {
    fx = createFixture({ stt: { hang: true }, machine: { deadlines: { sttMs: SHORT } } });
    fx.bridge.dispatch({ type: "stt_start", data: { mode: "continuous" } }, client);
    await fx.waitFor((e) => e.type === "stt_start" && e.data.turn_id === "t2");
    expect(fx.types("t1")).toEqual(["stt_start", "stt_error", "latency_trace"]);
    expect(fx.bridge.state()).toBe("listening");
    fx.bridge.dispatch({ type: "stt_stop", data: {} }, client);
    await fx.waitFor((e) => e.type === "stt_error" && e.data.turn_id === "t2");
    await fx.waitForState("idle");
  });

  it("llm past its deadline: llm_error timeout with the partial text, speech cut, back to idle", async () => {
    fx = createFixture({ llm: { answer: "First sentence. And then it stalls", hangAfterTokens: 4 }, machine: { deadlines: { llmMs: SHORT } } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "hi" } }, client);
    const err = await fx.waitFor((e) => e.type === "llm_error");
    expect(err.data).toEqual({ turn_id: "t1", code: "timeout", message: "The model did not finish within 60 ms", partial_text: "First sentence. And then" });
    await fx.waitForState("idle");
    expect(fx.types("t1").slice(-3)).toEqual(["llm_error", "tts_result", "latency_trace"]);
    expect(fx.events.find((e) => e.type === "tts_result")!.data).toMatchObject({ interrupted: true });
    expect(fx.llm.requests[0]!.signal.aborted).toBe(true);
    expect(fx.types("t1")).not.toContain("llm_result");
  });

  it("tts past its deadline: tts_error timeout, generation cut, back to idle", async () => {
    fx = createFixture({ llm: { answer: "Hello. World.", tokenMs: 0 }, tts: { hang: { onSentence: 0 } }, machine: { deadlines: { ttsMs: SHORT } } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "hi" } }, client);
    const err = await fx.waitFor((e) => e.type === "tts_error");
    expect(err.data).toEqual({ turn_id: "t1", code: "timeout", message: "Synthesis of one sentence took longer than 60 ms" });
    await fx.waitForState("idle");
    expect(fx.types("t1").slice(-2)).toEqual(["tts_error", "latency_trace"]);
    expect(fx.tts.calls[0]!.signal.aborted).toBe(true);
  });

  it("tool past its deadline: tool_error timeout goes back to the model and the turn goes on", async () => {
    fx = createFixture({
      llm: { toolCalls: [{ name: "slow", arguments: {} }] },
      tools: { slow: { delayMs: 10_000, handler: () => "never" } },
      machine: { deadlines: { toolMs: SHORT } },
    });
    fx.bridge.dispatch({ type: "text_input", data: { text: "use the slow tool" } }, client);
    const err = await fx.waitFor((e) => e.type === "tool_error");
    expect(err.data).toEqual({ turn_id: "t1", call_id: "call_1", name: "slow", code: "timeout", message: "The tool did not answer within 60 ms", duration_ms: 60 });
    await fx.waitFor((e) => e.type === "latency_trace");
    expect(fx.tools.runs[0]!.signal.aborted).toBe(true);
    const second = fx.llm.requests[1]!.messages.at(-1)!;
    expect(second).toMatchObject({ role: "tool", toolCallId: "call_1", name: "slow", content: '{"error":{"code":"timeout","message":"The tool did not answer within 60 ms"}}' });
    expect(fx.events.find((e) => e.type === "llm_result")!.data).toMatchObject({ finish_reason: "stop", rounds: 2 });
  });

  it("memory recall past its deadline: memory_error timeout and the turn goes on without memories", async () => {
    fx = createFixture({ memory: { hangRecall: true }, machine: { deadlines: { memoryMs: SHORT } } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "remember anything?" } }, client);
    const err = await fx.waitFor((e) => e.type === "memory_error");
    expect(err.data).toEqual({ turn_id: "t1", operation: "recall", code: "timeout", message: "Memory recall took longer than 60 ms" });
    expect(fx.memory.recallSignals[0]!.aborted).toBe(true);
    await fx.waitFor((e) => e.type === "latency_trace");
    expect(fx.types("t1").slice(0, 2)).toEqual(["memory_error", "llm_start"]);
    expect(fx.types("t1")).toContain("llm_result");
  });
});

describe("engine failures", () => {
  it("an llm failure keeps the engine's code", async () => {
    fx = createFixture({ llm: { failWith: { code: "unreachable", message: "connect ECONNREFUSED 127.0.0.1:11434" } } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "hi" } }, client);
    const err = await fx.waitFor((e) => e.type === "llm_error");
    expect(err.data).toEqual({ turn_id: "t1", code: "unreachable", message: "connect ECONNREFUSED 127.0.0.1:11434", partial_text: "" });
    await fx.waitForState("idle");
  });

  it("a failing tool goes back to the model as a tool message", async () => {
    fx = createFixture({ llm: { toolCalls: [{ name: "calculate", arguments: { expression: "2+" } }, { name: "nope", arguments: {} }] } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "compute" } }, client);
    await fx.waitFor((e) => e.type === "latency_trace");
    const toolEvents = fx.events.filter((e) => e.type.startsWith("tool_")).map((e) => [e.type, (e.data as { call_id?: string }).call_id, (e.data as { code?: string }).code]);
    expect(toolEvents).toEqual([
      ["tool_call", "call_1", undefined],
      ["tool_call", "call_2", undefined],
      ["tool_error", "call_1", "tool_failed"],
      ["tool_error", "call_2", "unknown_tool"],
    ]);
    const messages = fx.llm.requests[1]!.messages;
    expect(messages.filter((m) => m.role === "tool").map((m) => (m as { content: string }).content)).toEqual([
      '{"error":{"code":"tool_failed","message":"Unexpected end of expression"}}',
      '{"error":{"code":"unknown_tool","message":"No tool named \\"nope\\""}}',
    ]);
  });

  it("a model that keeps asking for tools fails with tool_rounds_exceeded", async () => {
    fx = createFixture({
      llm: { toolCalls: [{ name: "get_time", arguments: {} }] },
      machine: { maxToolRounds: 0 },
    });
    fx.bridge.dispatch({ type: "text_input", data: { text: "time?" } }, client);
    const err = await fx.waitFor((e) => e.type === "llm_error");
    expect(err.data).toMatchObject({ code: "tool_rounds_exceeded" });
    expect(fx.tools.runs).toHaveLength(0);
  });

  it("a tts failure keeps the engine's code and cuts the generation", async () => {
    fx = createFixture({ llm: { answer: "One. Two. Three.", tokenMs: 20 }, tts: { failWith: { code: "engine_error", message: "voice not found" } } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "hi" } }, client);
    const err = await fx.waitFor((e) => e.type === "tts_error");
    expect(err.data).toEqual({ turn_id: "t1", code: "engine_error", message: "voice not found" });
    await fx.waitForState("idle");
    expect(fx.types("t1").slice(-3)).toEqual(["tts_error", "llm_result", "latency_trace"]);
    expect(fx.events.find((e) => e.type === "llm_result")!.data).toMatchObject({ finish_reason: "interrupted" });
    expect(fx.llm.requests[0]!.signal.aborted).toBe(true);
  });

  it("a memory store failure is reported and the turn still completes", async () => {
    fx = createFixture({ memory: { failWith: { code: "locked", operations: ["store"], message: "database is locked" } } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "hi" } }, client);
    await fx.waitFor((e) => e.type === "latency_trace");
    expect(fx.types("t1").slice(-2)).toEqual(["memory_error", "latency_trace"]);
    expect(fx.events.find((e) => e.type === "memory_error")!.data).toEqual({ turn_id: "t1", operation: "store", code: "locked", message: "database is locked" });
  });
});
