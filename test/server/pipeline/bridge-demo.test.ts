/**
 * demo_flow through the bridge: the scripted recogniser hears the text and
 * the same machine and actors answer it (memory, a tool round, pipelined
 * speech). Asserts the event order the protocol promises, its causal
 * constraints where speech legitimately interleaves with generation, and
 * the latency trace.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createFixture, client, runs, turnOf, type Fixture } from "./bridge-fixture.js";

let fx: Fixture;
afterEach(async () => {
  await fx.close();
});

const idx = (types: string[], t: string) => types.indexOf(t);
const last = (types: string[], t: string) => types.lastIndexOf(t);

describe("demo_flow", () => {
  it("emits stt, memory, llm with a tool round, pipelined tts, memory_store and latency_trace in causal order, one turn id", async () => {
    fx = createFixture({
      llm: { toolCalls: [{ name: "get_time", arguments: {} }], answer: "It is noon. You plan to visit Paris. Anything else?" },
      memory: { seed: [{ text: "I plan to visit Paris in June" }] },
      tts: { chunkMs: 100, msPerChar: 10 },
    });
    fx.bridge.dispatch({ type: "demo_flow", data: { text: "What time is it and what are my plans" } }, client);
    await fx.waitFor((e) => e.type === "state_change" && e.data.state === "idle", "idle");

    const pipeline = fx.events.filter((e) => e.type !== "state_change");
    expect(new Set(pipeline.map(turnOf))).toEqual(new Set(["t1"]));
    const types = pipeline.map((e) => e.type);

    // The strictly sequential head and tail of the turn.
    expect(runs(types).slice(0, 6)).toEqual(["stt_start", "stt_progress+", "stt_result", "memory_recall", "llm_start", "tool_call"]);
    expect(types.slice(-3)).toEqual(["tts_result", "memory_store", "latency_trace"]);
    expect(types.filter((t) => t === "stt_progress")).toHaveLength(9);
    expect(types.filter((t) => t === "llm_start")).toHaveLength(2);
    expect(types.filter((t) => t === "latency_trace")).toHaveLength(1);
    // Tool round before the second model request.
    const call = idx(types, "tool_call");
    expect(types.slice(call, call + 3)).toEqual(["tool_call", "tool_result", "llm_start"]);
    // Pipelining: speech starts after the first token and before the model finishes.
    expect(idx(types, "tts_start")).toBeGreaterThan(idx(types, "llm_progress"));
    expect(idx(types, "tts_start")).toBeLessThan(idx(types, "llm_result"));
    expect(idx(types, "tts_progress")).toBeGreaterThan(idx(types, "tts_start"));
    expect(idx(types, "llm_result")).toBeLessThan(idx(types, "tts_result"));
    expect(last(types, "llm_progress")).toBeLessThan(idx(types, "llm_result"));
    expect(idx(types, "memory_store")).toBeGreaterThan(idx(types, "llm_result"));

    const byType = (t: string) => pipeline.filter((e) => e.type === t).map((e) => e.data as Record<string, unknown>);
    expect(byType("stt_result")[0]!.text).toBe("What time is it and what are my plans");
    expect(byType("memory_recall")[0]!.hits).toEqual([expect.objectContaining({ id: "m1", kind: "fact" })]);
    expect(byType("tool_call")[0]).toMatchObject({ name: "get_time", call_id: "call_1" });
    expect(byType("tool_result")[0]).toMatchObject({ name: "get_time", call_id: "call_1" });
    expect(byType("llm_result")[0]).toMatchObject({ text: "It is noon. You plan to visit Paris. Anything else?", finish_reason: "stop", rounds: 2 });
    expect(byType("llm_progress").map((d) => d.index)).toEqual([...Array(byType("llm_progress").length).keys()]);
    expect(byType("llm_progress").map((d) => d.delta).join("")).toBe("It is noon. You plan to visit Paris. Anything else?");
    // Three sentences spoken in order, one tts_progress each; chunk indexes count up across the turn.
    const progress = byType("tts_progress") as { text: string; sentence_index: number; chunk_index: number; chunks: number }[];
    expect(progress.map((d) => [d.sentence_index, d.text])).toEqual([[0, "It is noon."], [1, "You plan to visit Paris."], [2, "Anything else?"]]);
    expect(progress.map((d) => d.chunk_index)).toEqual([0, progress[0]!.chunks, progress[0]!.chunks + progress[1]!.chunks]);
    expect(byType("tts_result")[0]).toMatchObject({ sentences: 3, chunks: progress.reduce((n, d) => n + d.chunks, 0), interrupted: false });
    expect(fx.tts.calls.map((c) => c.text)).toEqual(["It is noon.", "You plan to visit Paris.", "Anything else?"]);
    expect(byType("memory_store")[0]).toMatchObject({ turn_id: "t1", kind: "turn", id: "m2" });

    // State changes: listening -> thinking -> speaking -> idle, the first three naming the turn.
    const states = fx.events.filter((e) => e.type === "state_change").map((e) => e.data as Record<string, unknown>);
    expect(states.map((s) => [s.previous, s.state, s.turn_id])).toEqual([
      ["idle", "listening", "t1"],
      ["listening", "thinking", "t1"],
      ["thinking", "speaking", "t1"],
      ["speaking", "idle", null],
    ]);
    // state_change(listening) comes before stt_start, state_change(idle) after latency_trace.
    const all = fx.events.map((e) => e.type);
    expect(all[0]).toBe("state_change");
    expect(all[1]).toBe("stt_start");
    expect(all.at(-1)).toBe("state_change");
    expect(all.at(-2)).toBe("latency_trace");
  });

  it("traces the turn's latency with figures that add up", async () => {
    fx = createFixture({ llm: { toolCalls: [{ name: "calculate", arguments: { expression: "6*7" } }], answer: "It is 42. Done." } });
    fx.bridge.dispatch({ type: "demo_flow", data: {} }, client);
    const trace = (await fx.waitFor((e) => e.type === "latency_trace")).data as Record<string, number | null | string | boolean>;
    expect(trace).toMatchObject({ turn_id: "t1", mode: "demo", interrupted: false });
    for (const k of ["stt_ms", "memory_ms", "llm_first_token_ms", "llm_total_ms", "tool_ms", "tts_first_audio_ms", "tts_total_ms", "input_to_first_audio_ms"]) {
      expect(typeof trace[k], k).toBe("number");
    }
    const n = (k: string) => trace[k] as number;
    expect(n("llm_first_token_ms")).toBeLessThanOrEqual(n("llm_total_ms"));
    expect(n("tts_first_audio_ms")).toBeLessThanOrEqual(n("tts_total_ms"));
    expect(n("total_ms")).toBeGreaterThanOrEqual(n("stt_ms") + n("memory_ms") + n("llm_total_ms") + n("tool_ms") - 0.01);
    expect(n("input_to_first_audio_ms")).toBeGreaterThanOrEqual(n("memory_ms") + n("llm_first_token_ms") + n("tts_first_audio_ms") - 0.01);
    const stt = fx.events.find((e) => e.type === "stt_result")!.data as { duration_ms: number };
    expect(stt.duration_ms).toBe(n("stt_ms"));
    await fx.waitForState("idle");
    const metrics = fx.bridge.metrics();
    expect(metrics.window).toBe(100);
    expect(metrics.turns).toBe(1);
    expect(metrics.figures.total_ms).toEqual({ count: 1, p50: n("total_ms"), p95: n("total_ms"), p99: n("total_ms"), max: n("total_ms") });
  });

  it("uses the machine's demo text when the command gives none, and text turns skip STT", async () => {
    fx = createFixture({ machine: { demoText: "Hello there" } });
    fx.bridge.dispatch({ type: "demo_flow", data: {} }, client);
    await fx.waitFor((e) => e.type === "latency_trace");
    expect(fx.events.find((e) => e.type === "stt_result")!.data).toMatchObject({ text: "Hello there" });
    await fx.waitForState("idle");
    fx.bridge.dispatch({ type: "text_input", data: { text: "Typed words" } }, client);
    const trace = await fx.waitFor((e) => e.type === "latency_trace" && e.data.turn_id === "t2");
    expect(trace.data).toMatchObject({ mode: "text", stt_ms: null, tool_ms: null });
    expect(runs(fx.types("t2")).slice(0, 3)).toEqual(["memory_recall", "llm_start", "llm_progress+"]);
    expect(fx.types("t2")).not.toContain("stt_start");
  });
});
