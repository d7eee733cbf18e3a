/**
 * End to end over a real WebSocket: the WebSocketServer with the bridge over
 * scripted engines. demo_flow event order as a client sees it (logged, seq
 * ordered), push-to-talk with microphone frames, barge-in, a stage past its
 * deadline, and commands refused while busy.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ScriptedLlmEngine, type ScriptedLlmOptions } from "../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine, type ScriptedSttOptions } from "../../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine, type ScriptedTtsOptions } from "../../actors/tts/testing/scripted.js";
import { createBridge, type BridgeOptions } from "../../server/pipeline/bridge.js";
import { validateEvent } from "../../server/protocol/index.js";
import { TestClient, type Received } from "../helpers/client.js";
import { startServer } from "../helpers/server.js";

const opened: { close(): Promise<void> }[] = [];
const stopped: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  await Promise.all(stopped.splice(0).map((s) => s.stop()));
});

async function setup(o: { stt?: ScriptedSttOptions; llm?: ScriptedLlmOptions; tts?: ScriptedTtsOptions; machine?: BridgeOptions["machine"] } = {}) {
  const engines = {
    stt: new ScriptedSttEngine(o.stt),
    llm: new ScriptedLlmEngine(o.llm),
    tts: new ScriptedTtsEngine({ msPerChar: 10, chunkMs: 100, ...o.tts }),
    memory: new InMemoryStore({ seed: [{ text: "The user plans a trip to Lisbon" }] }),
    tools: new FakeToolRunner(),
  };
  const pipeline = createBridge({ engines, machine: o.machine, demoPartialDelayMs: 0 });
  const server = await startServer({ pipeline });
  stopped.push(server);
  const client = await TestClient.connect(server.wsUrl);
  opened.push(client);
  await client.waitForType("replay");
  return { server, client, engines };
}

const turnOf = (m: Received) => (m.data as { turn_id?: unknown }).turn_id ?? null;
const pipelineOf = (c: TestClient, turnId: string) => c.messages.filter((m) => turnOf(m) === turnId && m.type !== "state_change");
const waitIdle = (c: TestClient, from = 0) => c.waitFor((m) => m.type === "state_change" && m.data.state === "idle", { from });

describe("voice pipeline over WebSocket", () => {
  it("demo_flow: acked, then the whole turn in causal order with increasing seq, every frame valid", async () => {
    const { client } = await setup({ llm: { toolCalls: [{ name: "get_time", arguments: { timezone: "Europe/Lisbon" } }], answer: "It is noon in Lisbon. Enjoy the trip." } });
    const reply = await client.command("demo_flow", { text: "What time is it in Lisbon for my trip" }, "d1");
    expect(reply).toMatchObject({ type: "command_ack", data: { id: "d1", command: "demo_flow" } });
    await waitIdle(client);
    for (const m of client.messages) validateEvent(m as never);
    const logged = client.messages.filter((m) => m.seq !== undefined);
    expect(logged.map((m) => m.seq)).toEqual(logged.map((_, i) => logged[0]!.seq! + i));
    const types = pipelineOf(client, "t1").map((m) => m.type);
    expect(types.slice(0, 2)).toEqual(["stt_start", "stt_progress"]);
    const fixed = ["stt_result", "memory_recall", "llm_start", "tool_call", "tool_result", "llm_start"];
    const at = types.indexOf("stt_result");
    expect(types.slice(at, at + fixed.length)).toEqual(fixed);
    expect(types.slice(-3)).toEqual(["tts_result", "memory_store", "latency_trace"]);
    expect(types.indexOf("tts_start")).toBeGreaterThan(types.indexOf("llm_progress"));
    expect(types.indexOf("llm_result")).toBeLessThan(types.indexOf("tts_result"));
    expect(client.ofType("memory_recall")[0]!.data.hits.map((h) => h.id)).toEqual(["m1"]);
    expect(client.ofType("state_change").map((m) => m.data.state)).toEqual(["listening", "thinking", "speaking", "idle"]);
    // Metrics now cover that turn.
    const before = client.messages.length;
    client.send({ type: "get_performance_metrics" });
    const metrics = await client.waitForType("performance_metrics", { from: before });
    expect(metrics.data).toMatchObject({ window: 100, turns: 1 });
    expect(metrics.data.figures.tool_ms!.count).toBe(1);
  });

  it("push_to_talk: microphone frames reach the recogniser and stt_stop ends the utterance", async () => {
    const { client, engines } = await setup({ stt: { utterances: ["lights on"], waitForAudioEnd: true }, llm: { answer: "Done." } });
    expect((await client.command("stt_start", { mode: "push_to_talk" }, "s1")).type).toBe("command_ack");
    await client.waitFor((m) => m.type === "stt_progress" && m.data.text === "lights on");
    client.ws.send(Buffer.alloc(640));
    client.ws.send(Buffer.alloc(640));
    expect((await client.command("stt_stop", {}, "s2")).type).toBe("command_ack");
    const result = await client.waitForType("stt_result");
    expect(result.data).toMatchObject({ text: "lights on", turn_id: "t1" });
    await waitIdle(client);
    expect(client.ofType("command_error")).toEqual([]);
    expect(engines.stt.calls[0]!.chunks).toBe(2);
  });

  it("barge-in during speech: turn_interrupted, then only the new turn", async () => {
    const { client, engines } = await setup({ llm: { answer: "One. Two. Three. Four. Five.", tokenMs: 5 }, tts: { chunkMs: 10, chunkDelayMs: 50 } });
    await client.command("text_input", { text: "count" });
    await client.waitForType("tts_progress");
    expect((await client.command("text_input", { text: "never mind" }, "b2")).type).toBe("command_ack");
    const cut = await client.waitForType("turn_interrupted");
    expect(cut.data).toMatchObject({ turn_id: "t1", reason: "barge_in", state: "speaking", by: "t2" });
    // No audio client: what was synthesised counts as heard.
    expect((cut.data as { heard_text: string }).heard_text).toMatch(/^One\./);
    await client.waitFor((m) => m.type === "latency_trace" && m.data.turn_id === "t2");
    const cutAt = client.messages.indexOf(cut);
    expect(client.messages.slice(cutAt + 1).filter((m) => turnOf(m) === "t1")).toEqual([]);
    expect(engines.llm.requests[0]!.signal.aborted).toBe(true);
    // The synthesis that was running when the user barged in saw its signal abort.
    const t1Sentences = ["One.", "Two.", "Three.", "Four.", "Five."];
    const cutShort = engines.tts.calls.filter((c) => t1Sentences.includes(c.text) && !c.completed);
    expect(cutShort).toHaveLength(1);
    expect(cutShort[0]!.signal.aborted).toBe(true);
  });

  it("a stage past its deadline: llm_error timeout and back to idle", async () => {
    const { client } = await setup({ llm: { hang: true }, machine: { deadlines: { llmMs: 80 } } });
    await client.command("text_input", { text: "hello" });
    const err = await client.waitForType("llm_error");
    expect(err.data).toEqual({ turn_id: "t1", code: "timeout", message: "The model did not finish within 80 ms", partial_text: "" });
    await waitIdle(client);
    expect(pipelineOf(client, "t1").map((m) => m.type)).toEqual(["memory_recall", "llm_start", "llm_error", "latency_trace"]);
  });

  it("commands while busy: command_error busy / invalid_state naming the id, and the turn goes on", async () => {
    const { client } = await setup({ llm: { answer: "A slow answer.", firstTokenMs: 400 } });
    await client.command("demo_flow", {});
    await client.waitFor((m) => m.type === "state_change" && m.data.state === "thinking");
    expect(await client.command("demo_flow", {}, "x1")).toMatchObject({
      type: "command_error",
      data: { id: "x1", command: "demo_flow", code: "busy", message: "A turn is running (state: thinking); wait until the assistant is idle or send stop_speaking" },
    });
    expect(await client.command("stt_stop", {}, "x2")).toMatchObject({ type: "command_error", data: { id: "x2", command: "stt_stop", code: "invalid_state" } });
    expect(await client.command("stt_start", { mode: "sideways" }, "x3")).toMatchObject({ type: "command_error", data: { id: "x3", code: "invalid_data" } });
    const idle = await waitIdle(client);
    expect(client.messages.indexOf(idle)).toBeGreaterThan(client.messages.findIndex((m) => m.type === "latency_trace"));
    expect(client.ofType("turn_interrupted")).toEqual([]);
  });
});
