/**
 * The playout clock drives the turn, over a real WebSocket: an audio client
 * that never reports playback keeps the machine `speaking` for the answer's
 * audio time (on a clock the test moves), /health says so too; a stop in
 * the middle of playout is acknowledged, turn_interrupted says what was
 * heard, and the next model call sees only that, marked cut.
 */
import { describe, expect, it } from "vitest";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { ScriptedTtsEngine } from "../../../actors/tts/testing/scripted.js";
import { ManualClock } from "../../helpers/clock.js";
import { TestClient } from "../../helpers/client.js";
import { sleep } from "../../helpers/wait.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { startPipeline } from "../../helpers/pipeline.js";

const closers = useCleanup();

// Three sentences of about 1 s of audio each (25, 25 and 24 chars at 40 ms a char), in 200 ms chunks.
const ANSWER = "The first sentence is it. The second sentence, two. A third one is here now.";

async function setup() {
  const clock = new ManualClock();
  const llm = new ScriptedLlmEngine({ answer: ANSWER });
  const tts = new ScriptedTtsEngine({ msPerChar: 40, chunkMs: 200 });
  const { bridge, server, connect } = await startPipeline(closers, { engines: { llm, tts }, playoutClock: clock, audioLeadMs: 1000 });
  const listener = await connect("/?audio=1");
  const health = async () => ((await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as { state: string }).state;
  return { clock, llm, bridge, listener, health };
}

const audioMs = (c: TestClient) => c.ofType("tts_audio").reduce((n, m) => n + (m.data as { audio_ms: number }).audio_ms, 0);

describe("speaking follows the playout", () => {
  it("an audio client that never reports keeps the machine speaking for the answer's audio time", async () => {
    const { clock, bridge, listener, health } = await setup();
    expect((await listener.command("text_input", { text: "talk" }, "q1")).type).toBe("command_ack");
    await listener.waitForType("tts_result");
    const total = (listener.ofType("tts_result")[0]!.data as { audio_ms: number }).audio_ms;
    expect(total).toBe(2960);
    // Synthesised long ago; nothing has been heard yet: still speaking, 1 s of audio sent ahead.
    await sleep(30);
    expect(bridge.state()).toBe("speaking");
    expect(await health()).toBe("speaking");
    expect(audioMs(listener)).toBe(1000);
    clock.advance(total - 1);
    await sleep(30);
    expect(bridge.state()).toBe("speaking");
    expect(audioMs(listener)).toBe(total);
    clock.advance(1);
    await listener.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    expect(await health()).toBe("idle");
    expect(listener.ofType("state_change").map((m) => m.data.state)).toEqual(["thinking", "speaking", "idle"]);
    expect(listener.ofType("turn_interrupted")).toEqual([]);
  });

  it("stop_speaking mid-playout is acked, says what was heard, and the next model call sees only that", async () => {
    const { clock, llm, listener } = await setup();
    await listener.command("text_input", { text: "talk" }, "q1");
    await listener.waitForType("tts_result");
    await sleep(20);
    clock.advance(1500); // the first sentence and half of the second heard
    const ack = await listener.command("stop_speaking", {}, "s1");
    expect(ack).toMatchObject({ type: "command_ack", data: { id: "s1", command: "stop_speaking" } });
    const cut = await listener.waitForType("turn_interrupted");
    expect(cut.data).toEqual({
      turn_id: "t1",
      reason: "stop",
      state: "speaking",
      outcome: "answer_cut",
      client: "c1",
      question: "talk",
      by: null,
      by_client: "c1",
      heard_ms: 1500,
      heard_text: "The first sentence is it. The second—",
    });
    await listener.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    // Nothing more of t1 is sent, however long we wait.
    const sent = audioMs(listener);
    clock.advance(10_000);
    await sleep(20);
    expect(audioMs(listener)).toBe(sent);

    await listener.command("text_input", { text: "and then?" }, "q2");
    await listener.waitFor((m) => m.type === "llm_result" && m.data.turn_id === "t2");
    const history = llm.requests[1]!.messages.filter((m) => m.role !== "system");
    expect(history).toEqual([
      { role: "user", content: "talk" },
      { role: "assistant", content: "The first sentence is it. The second—", cut: true },
      { role: "user", content: "and then?" },
    ]);
  });
});
