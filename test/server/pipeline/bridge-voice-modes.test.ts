/**
 * Voice turns through the bridge: push-to-talk ended by stt_stop, a
 * continuous session of two turns ended by stt_stop, client audio routing,
 * and stop_speaking.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ProtocolError } from "../../../server/protocol/index.js";
import { client, createFixture, runs, type Fixture } from "./bridge-fixture.js";

let fx: Fixture;
afterEach(async () => {
  await fx.close();
});

describe("push_to_talk", () => {
  it("holds the final transcript until stt_stop, answers, and rests at idle", async () => {
    fx = createFixture({ stt: { utterances: ["turn the lights on"], waitForAudioEnd: true }, llm: { answer: "Done." } });
    fx.bridge.dispatch({ type: "stt_start", data: { mode: "push_to_talk" } }, client);
    await fx.waitFor((e) => e.type === "stt_progress" && e.data.text === "turn the lights on");
    // Audio from the client that opened the stream reaches the recogniser; anyone else's is refused.
    fx.bridge.pushAudio(client, new Uint8Array(320));
    expect(() => fx.bridge.pushAudio({ clientId: "other" }, new Uint8Array(320))).toThrowError(
      expect.objectContaining({ code: "unexpected_binary" }),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(fx.types("t1")).not.toContain("stt_result");
    expect(fx.bridge.state()).toBe("listening");

    fx.bridge.dispatch({ type: "stt_stop", data: {} }, client);
    await fx.waitForState("idle");
    const types = fx.types("t1");
    expect(runs(types).slice(0, 6)).toEqual(["stt_start", "stt_progress+", "stt_result", "memory_recall", "llm_start", "llm_progress"]);
    expect(types.slice(-3)).toEqual(["tts_result", "memory_store", "latency_trace"]);
    // One-sentence answer: its speech starts when the model ends, so only causal order is fixed here.
    expect([...types].sort()).toEqual(
      ["stt_start", "stt_progress", "stt_progress", "stt_progress", "stt_progress", "stt_result", "memory_recall", "llm_start", "llm_progress",
        "tts_start", "tts_progress", "llm_result", "tts_result", "memory_store", "latency_trace"].sort(),
    );
    expect(types.indexOf("tts_start")).toBeLessThan(types.indexOf("tts_progress"));
    expect(fx.events.find((e) => e.type === "stt_start")!.data).toMatchObject({ mode: "push_to_talk", engine: "scripted", source: "client" });
    expect(fx.stt.calls[0]!.chunks).toBe(1);
    // After the turn the stream is closed: a frame that was in flight is dropped quietly (the grace), not heard.
    expect(() => fx.bridge.pushAudio(client, new Uint8Array(320))).not.toThrow();
    expect(fx.stt.calls[0]!.chunks).toBe(1);
  });
});

describe("continuous", () => {
  it("listens again after each answer until stt_stop", async () => {
    fx = createFixture({ stt: { utterances: ["first question", "second question"] }, llm: { answer: "An answer." } });
    fx.bridge.dispatch({ type: "stt_start", data: { mode: "continuous" } }, client);
    await fx.waitFor((e) => e.type === "stt_start" && e.data.turn_id === "t3", "third listening turn");
    expect(fx.bridge.state()).toBe("listening");
    fx.bridge.dispatch({ type: "stt_stop", data: {} }, client);
    await fx.waitForState("idle");

    for (const t of ["t1", "t2"]) {
      expect(fx.types(t).at(0)).toBe("stt_start");
      expect(fx.types(t).slice(-3)).toEqual(["tts_result", "memory_store", "latency_trace"]);
    }
    expect(fx.events.filter((e) => e.type === "stt_result").map((e) => e.data.text)).toEqual(["first question", "second question", ""]);
    // The third turn heard nothing before stt_stop: it ends without an answer.
    expect(fx.types("t3")).toEqual(["stt_start", "stt_result", "latency_trace"]);
    const states = fx.events.filter((e) => e.type === "state_change").map((e) => `${e.data.state}:${e.data.turn_id}:${e.data.mode}`);
    expect(states).toEqual([
      "listening:t1:continuous",
      "thinking:t1:continuous",
      "speaking:t1:continuous",
      "listening:t2:continuous",
      "thinking:t2:continuous",
      "speaking:t2:continuous",
      "listening:t3:continuous",
      "idle:null:null",
    ]);
    expect(fx.events.filter((e) => e.type === "stt_start").map((e) => e.data.mode)).toEqual(["continuous", "continuous", "continuous"]);
  });

  it("stt_stop while the assistant answers ends the session after that answer", async () => {
    fx = createFixture({ stt: { utterances: ["one", "two"] }, llm: { answer: "Slow answer here.", firstTokenMs: 30 } });
    fx.bridge.dispatch({ type: "stt_start", data: { mode: "continuous" } }, client);
    await fx.waitForState("thinking");
    fx.bridge.dispatch({ type: "stt_stop", data: {} }, client);
    await fx.waitForState("idle");
    expect(fx.events.filter((e) => e.type === "stt_start")).toHaveLength(1);
    expect(fx.types("t1").at(-1)).toBe("latency_trace");
    expect(fx.stt.calls).toHaveLength(1);
  });
});

describe("stop_speaking", () => {
  it("cuts generation and speech, reports the interruption and rests", async () => {
    fx = createFixture({ llm: { answer: "One. Two. Three. Four.", tokenMs: 10 }, tts: { chunkDelayMs: 20 } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "count" } }, client);
    await fx.waitFor((e) => e.type === "tts_progress");
    fx.bridge.dispatch({ type: "stop_speaking", data: {} }, client);
    const cut = await fx.waitFor((e) => e.type === "turn_interrupted");
    expect(cut.data).toMatchObject({ turn_id: "t1", reason: "stop", state: "speaking", by: null });
    expect((cut.data as { heard_ms: number }).heard_ms).toBeGreaterThan(0);
    await fx.waitForState("idle");
    // What was heard (no audio consumer: what was synthesised) is remembered, marked interrupted, after the cut.
    const stored = await fx.waitFor((e) => e.type === "memory_store" && e.data.turn_id === "t1");
    expect(stored.data).toMatchObject({ interrupted: true, preview: `User: count\nAssistant (interrupted): ${(cut.data as { heard_text: string }).heard_text}` });
    const types = fx.types("t1");
    expect(types.slice(-5)).toEqual(["llm_result", "tts_result", "latency_trace", "turn_interrupted", "memory_store"]);
    expect(fx.events.find((e) => e.type === "llm_result")!.data).toMatchObject({ finish_reason: "interrupted" });
    expect(fx.events.find((e) => e.type === "tts_result")!.data).toMatchObject({ interrupted: true });
    expect(fx.events.find((e) => e.type === "latency_trace")!.data).toMatchObject({ interrupted: true });
    // The engines saw the cancellation, and nothing arrives afterwards.
    expect(fx.llm.requests[0]!.signal.aborted).toBe(true);
    expect(fx.tts.calls.at(-1)!.signal.aborted).toBe(true);
    const count = fx.events.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(fx.events.length).toBe(count);
  });

  it("is refused with invalid_state when nothing is being said", async () => {
    fx = createFixture();
    let error: unknown;
    try {
      fx.bridge.dispatch({ type: "stop_speaking", data: {} }, client);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: "invalid_state", message: "Nothing to stop (state: idle)" });
  });
});
