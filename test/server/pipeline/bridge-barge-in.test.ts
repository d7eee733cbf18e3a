/**
 * Barge-in through the bridge: a new text_input or stt_start while the
 * assistant thinks or speaks cuts the running turn (engines aborted, open
 * streams closed as interrupted, turn_interrupted naming the new turn) and
 * starts the new one. Nothing of the old turn follows its turn_interrupted
 * but the one memory_store of what was heard of its answer (if anything).
 */
import { afterEach, describe, expect, it } from "vitest";
import { client, createFixture, turnOf, type Fixture } from "./bridge-fixture.js";

let fx: Fixture;
afterEach(async () => {
  await fx.close();
});

function assertNothingAfterInterruption(turnId: string) {
  const cutAt = fx.events.findIndex((e) => e.type === "turn_interrupted" && e.data.turn_id === turnId);
  expect(cutAt).toBeGreaterThan(-1);
  const after = fx.events.slice(cutAt + 1).filter((e) => turnOf(e) === turnId && e.type !== "state_change");
  // What was heard is what is remembered: at most one store of the heard answer, marked interrupted.
  expect(after.filter((e) => !(e.type === "memory_store" && e.data.interrupted))).toEqual([]);
  expect(after.length).toBeLessThanOrEqual(1);
}

describe("barge-in", () => {
  it("text_input during speech cuts the answer and starts the new turn", async () => {
    fx = createFixture({ llm: { answer: "One. Two. Three. Four. Five.", tokenMs: 5 }, tts: { chunkDelayMs: 15 } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "count to five" } }, client);
    await fx.waitFor((e) => e.type === "tts_progress");
    expect(fx.bridge.state()).toBe("speaking");
    const firstRequest = fx.llm.requests[0]!;
    const firstSynthesis = fx.tts.calls.at(-1)!;

    fx.bridge.dispatch({ type: "text_input", data: { text: "stop, what time is it" } }, client);
    const cut = await fx.waitFor((e) => e.type === "turn_interrupted");
    expect(cut.data).toMatchObject({ turn_id: "t1", reason: "barge_in", state: "speaking", by: "t2" });
    // No audio consumer: what was synthesised counts as heard, and the sentence in synthesis is marked cut.
    expect((cut.data as { heard_text: string }).heard_text).toMatch(/^One\. (Two\. )*(Three\. )*—$/);
    await fx.waitFor((e) => e.type === "latency_trace" && e.data.turn_id === "t2");
    await fx.waitForState("idle");
    const heard = (cut.data as { heard_text: string }).heard_text;
    const stored = await fx.waitFor((e) => e.type === "memory_store" && e.data.turn_id === "t1");
    expect(stored.data).toMatchObject({ kind: "turn", interrupted: true, preview: `User: count to five\nAssistant (interrupted): ${heard}` });

    expect(firstRequest.signal.aborted).toBe(true);
    expect(firstSynthesis.signal.aborted).toBe(true);
    const t1 = fx.types("t1");
    expect(t1.slice(-5)).toEqual(["llm_result", "tts_result", "latency_trace", "turn_interrupted", "memory_store"]);
    expect(fx.events.find((e) => e.type === "latency_trace" && e.data.turn_id === "t1")!.data).toMatchObject({ interrupted: true });
    assertNothingAfterInterruption("t1");
    // The new turn starts right after the cut, with the user's new words.
    // (The cut turn's memory_store, stored in the background, may come between.)
    const cutAt = fx.events.indexOf(cut);
    const next = fx.events.slice(cutAt + 1).filter((e) => turnOf(e) !== "t1");
    expect(next.slice(0, 2).map((e) => e.type)).toEqual(["state_change", "memory_recall"]);
    expect(next[0]!.data).toMatchObject({ state: "thinking", previous: "speaking", turn_id: "t2" });
    expect(next[1]!.data).toMatchObject({ turn_id: "t2", query: "stop, what time is it" });
    expect(fx.types("t2").slice(-3)).toEqual(["tts_result", "memory_store", "latency_trace"]);
    // The cut answer stays in the conversation, marked as cut, before the new question.
    const second = fx.llm.requests.at(-1)!.messages;
    expect(second.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(second[2]).toMatchObject({ role: "assistant", cut: true });
  });

  it("stt_start while thinking cuts the generation and starts listening", async () => {
    fx = createFixture({ stt: { utterances: ["new question"] }, llm: { hangAfterTokens: 2, answer: "This answer never ends because the model stalls" } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "tell me a story" } }, client);
    await fx.waitFor((e) => e.type === "llm_progress" && e.data.index === 1);
    expect(fx.bridge.state()).toBe("thinking");
    fx.bridge.dispatch({ type: "stt_start", data: { mode: "push_to_talk" } }, client);
    const cut = await fx.waitFor((e) => e.type === "turn_interrupted");
    expect(cut.data).toEqual({
      turn_id: "t1",
      reason: "barge_in",
      state: "thinking",
      outcome: "unanswered",
      client: "c1",
      question: "tell me a story",
      by: "t2",
      by_client: "c1",
      heard_ms: 0,
      heard_text: "",
    });
    expect(fx.types("t1").slice(-3)).toEqual(["llm_result", "latency_trace", "turn_interrupted"]);
    expect(fx.llm.requests[0]!.signal.aborted).toBe(true);
    const cutAt = fx.events.indexOf(cut);
    expect(fx.events.slice(cutAt + 1, cutAt + 3).map((e) => e.type)).toEqual(["state_change", "stt_start"]);
    expect(fx.events[cutAt + 1]!.data).toMatchObject({ state: "listening", previous: "thinking", turn_id: "t2" });
    await fx.waitFor((e) => e.type === "stt_result" && e.data.turn_id === "t2");
    assertNothingAfterInterruption("t1");
  });

  it("text_input while listening replaces the utterance", async () => {
    fx = createFixture({ stt: { utterances: [] } });
    fx.bridge.dispatch({ type: "stt_start", data: { mode: "push_to_talk" } }, client);
    await fx.waitForState("listening");
    fx.bridge.dispatch({ type: "text_input", data: { text: "typed instead" } }, client);
    const cut = await fx.waitFor((e) => e.type === "turn_interrupted");
    expect(cut.data).toEqual({
      turn_id: "t1",
      reason: "barge_in",
      state: "listening",
      outcome: "utterance_dropped",
      client: "c1",
      question: null,
      by: "t2",
      by_client: "c1",
      heard_ms: 0,
      heard_text: "",
    });
    // The listening of the cut turn is closed: stt_error code interrupted, before its trace.
    expect(fx.types("t1")).toEqual(["stt_start", "stt_error", "latency_trace", "turn_interrupted"]);
    expect(fx.ofTurn("t1").find((e) => e.type === "stt_error")!.data).toEqual({
      turn_id: "t1",
      code: "interrupted",
      message: "Listening ended without a transcript: a new turn started (barge-in)",
    });
    expect(fx.stt.calls[0]!.signal.aborted).toBe(true);
    await fx.waitForState("idle");
    expect(fx.events.find((e) => e.type === "llm_result")!.data).toMatchObject({ turn_id: "t2" });
  });

  it("a barge-in during demo listening closes its stt_start with stt_error interrupted; stt_progress before it, nothing after", async () => {
    fx = createFixture({ demoPartialDelayMs: 30 });
    fx.bridge.dispatch({ type: "demo_flow", data: { text: "a long demo sentence to hear" } }, client);
    await fx.waitFor((e) => e.type === "stt_progress");
    fx.bridge.dispatch({ type: "text_input", data: { text: "never mind" } }, client);
    await fx.waitFor((e) => e.type === "latency_trace" && e.data.turn_id === "t2");
    const t1 = fx.types("t1");
    expect(t1.filter((t) => t === "stt_start" || t === "stt_result" || t === "stt_error")).toEqual(["stt_start", "stt_error"]);
    expect(t1.slice(-3)).toEqual(["stt_error", "latency_trace", "turn_interrupted"]);
    expect(fx.ofTurn("t1").find((e) => e.type === "stt_error")!.data).toMatchObject({ code: "interrupted" });
    expect(fx.events.find((e) => e.type === "latency_trace" && e.data.turn_id === "t1")!.data).toMatchObject({ interrupted: true });
    assertNothingAfterInterruption("t1");
  });

  it("stop() while listening closes the stt_start with stt_error interrupted (reason shutdown)", async () => {
    fx = createFixture({ stt: { utterances: [] } });
    fx.bridge.dispatch({ type: "stt_start", data: { mode: "continuous" } }, client);
    await fx.waitFor((e) => e.type === "stt_start");
    await fx.bridge.stop();
    expect(fx.types("t1")).toEqual(["stt_start", "stt_error", "latency_trace", "turn_interrupted"]);
    expect(fx.ofTurn("t1").find((e) => e.type === "stt_error")!.data).toEqual({
      turn_id: "t1",
      code: "interrupted",
      message: "Listening ended without a transcript: the server is stopping",
    });
  });

  it("stop_speaking during a tool round answers each pending tool_call with tool_error cancelled, then closes the generation", async () => {
    fx = createFixture({
      llm: { toolCalls: [{ name: "slow", arguments: {} }, { name: "quick", arguments: {} }], answer: "Done." },
      tools: {
        slow: { handler: (_args, { signal }) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))) },
        quick: { handler: () => "fast" },
      },
    });
    fx.bridge.dispatch({ type: "text_input", data: { text: "use the tools" } }, client);
    const second = await fx.waitFor((e) => e.type === "tool_call" && e.data.name === "quick");
    await new Promise((r) => setTimeout(r, 20));
    fx.bridge.dispatch({ type: "stop_speaking", data: {} }, client);
    await fx.waitForState("idle");
    const t1 = fx.ofTurn("t1").filter((e) => e.type !== "state_change");
    expect(t1.map((e) => e.type).slice(-4)).toEqual(["tool_error", "llm_result", "latency_trace", "turn_interrupted"]);
    const callId = (e: { data: object }) => (e.data as { call_id: string }).call_id;
    const answers = t1.filter((e) => e.type === "tool_result" || e.type === "tool_error");
    // Outcomes are reported in call order: the slow call had not answered, so the quick one was held back too; both are cancelled.
    const first = fx.ofTurn("t1").find((e) => e.type === "tool_call")!;
    expect(answers.map((e) => [e.type, callId(e), (e.data as { code?: string }).code])).toEqual([
      ["tool_error", callId(first), "cancelled"],
      ["tool_error", callId(second), "cancelled"],
    ]);
    expect(fx.tools.runs.map((r) => r.signal.aborted)).toEqual([true, true]);
    expect(answers[0]!.data).toMatchObject({ name: "slow", message: "The tool call was cancelled: the user stopped the answer" });
    expect((answers[0]!.data as { duration_ms: number }).duration_ms).toBeGreaterThan(0);
    expect(fx.ofTurn("t1").find((e) => e.type === "llm_result")!.data).toMatchObject({ finish_reason: "interrupted", rounds: 1 });
  });

  it("stop() interrupts the running turn with reason shutdown and then refuses commands", async () => {
    fx = createFixture({ llm: { hang: true } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "hello" } }, client);
    await fx.waitFor((e) => e.type === "llm_start");
    await fx.bridge.stop();
    expect(fx.events.find((e) => e.type === "turn_interrupted")!.data).toEqual({
      turn_id: "t1",
      reason: "shutdown",
      state: "thinking",
      outcome: "unanswered",
      client: "c1",
      question: "hello",
      by: null,
      by_client: null,
      heard_ms: 0,
      heard_text: "",
    });
    expect(fx.events.at(-1)!.data).toMatchObject({ state: "stopped", previous: "thinking" });
    expect(fx.llm.requests[0]!.signal.aborted).toBe(true);
    expect(fx.bridge.state()).toBe("stopped");
    expect(() => fx.bridge.dispatch({ type: "text_input", data: { text: "again" } }, client)).toThrowError(
      expect.objectContaining({ code: "unavailable" }),
    );
  });
});
