/**
 * Barge-in by voice over a real WebSocket: a client streams synthetic PCM
 * (tone = speech, silence) in a continuous session and takes the answer's
 * audio (?audio=1) without reporting playback, so the answer plays out on a
 * clock the test moves. The energy VAD ends utterances and watches the
 * answer; the recogniser reports how much speech it was given.
 * - echo-cancelled audio (stt_start echo_cancellation): 400 ms of speech
 *   over the answer cuts it (turn_interrupted barge_in, what was heard), and
 *   the new turn's recogniser hears all of that speech;
 * - 200 ms of speech (under the 300 ms minimum) does not;
 * - without echo cancellation (the default, barge-in auto) speech over the
 *   answer is dropped quietly, and listening resumes when playout ends;
 * - bargeIn on / off override the client's flag; with the VAD off there is
 *   no barge-in by voice.
 */
import { describe, expect, it } from "vitest";
import { ScriptedLlmEngine, type ScriptedLlmOptions } from "../../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import type { SttEngine, SttUpdate, TranscribeOptions } from "../../../actors/stt/types.js";
import { rmsS16 } from "../../../actors/stt/vad.js";
import { FakeToolRunner } from "../../../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../../../actors/tts/testing/scripted.js";
import type { BargeInPolicy } from "../../../server/pipeline/barge-in-watch.js";
import { createBridge } from "../../../server/pipeline/bridge.js";
import type { TestClient } from "../../helpers/client.js";
import { ManualClock } from "../../helpers/clock.js";
import { useServers } from "../../helpers/server.js";
import { frames, pcm, silence, tone } from "../../helpers/synth-pcm.js";

const { server, client, track } = useServers();

/** A recogniser that transcribes how much speech (20 ms frames above the energy threshold) it was given, to the end of the utterance. */
class SpeechMeter implements SttEngine {
  readonly name = "speech-meter";
  async *transcribe(audio: AsyncIterable<Uint8Array>, { signal }: TranscribeOptions): AsyncGenerator<SttUpdate> {
    let speechMs = 0;
    for await (const chunk of audio) {
      for (let at = 0; at < chunk.byteLength; at += 640) if (rmsS16(chunk.subarray(at, at + 640)) > 0.01) speechMs += 20;
    }
    if (signal.aborted) return;
    yield { kind: "final", text: `${speechMs} ms of speech`, confidence: 1 };
  }
  async close(): Promise<void> {}
}

// Three sentences of about 1 s of audio each (25, 25 and 24 chars at 40 ms a char), in 200 ms chunks.
const ANSWER = "The first sentence is it. The second sentence, two. A third one is here now.";
const ANSWER_MS = 2960;

async function setup(options: { bargeIn?: BargeInPolicy; llm?: ScriptedLlmOptions } = {}) {
  const clock = new ManualClock();
  const logs: { msg: string; fields?: object }[] = [];
  const bridge = track(
    createBridge({
      engines: {
        stt: new SpeechMeter(),
        llm: new ScriptedLlmEngine(options.llm ?? { answer: ANSWER }),
        tts: new ScriptedTtsEngine({ msPerChar: 40, chunkMs: 200 }),
        memory: new InMemoryStore(),
        tools: new FakeToolRunner(),
      },
      vad: {},
      playoutClock: clock,
      ...(options.bargeIn ? { bargeIn: options.bargeIn } : {}),
      logger: { info: (msg, fields) => logs.push({ msg, fields }), warn: (msg, fields) => logs.push({ msg, fields }), error: (msg, fields) => logs.push({ msg, fields }) },
    }),
  );
  const s = await server({ pipeline: bridge });
  // The dashboard: it streams the microphone and plays the answers.
  const user = await client(`${s.wsUrl}/?audio=1`);
  return { clock, bridge, user, logs };
}

/** Speak: `speechMs` of tone then 800 ms of silence (past the 700 ms end-of-speech hangover), in 100 ms frames as the dashboard sends them. */
function say(user: TestClient, speechMs: number): void {
  for (const frame of frames(pcm(tone(speechMs), silence(800)), 100)) user.ws.send(frame, { binary: true });
}

/** Everything the server did with the frames sent so far has reached the client: two round trips after them. */
async function settle(user: TestClient): Promise<void> {
  await user.command("get_performance_metrics", {});
  await user.command("get_performance_metrics", {});
}

/** Start a continuous session, say a first question and wait until its answer is playing out. */
async function answerPlaying(user: TestClient, echoCancellation?: boolean) {
  const data = echoCancellation === undefined ? { mode: "continuous" } : { mode: "continuous", echo_cancellation: echoCancellation };
  expect((await user.command("stt_start", data, "s1")).type).toBe("command_ack");
  say(user, 400);
  expect((await user.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t1")).data).toMatchObject({ text: "400 ms of speech" });
  await user.waitFor((m) => m.type === "tts_result" && m.data.turn_id === "t1");
  await settle(user);
}

const ofTurn = (user: TestClient, turnId: string) => user.messages.filter((m) => (m.data as { turn_id?: string }).turn_id === turnId);

describe("barge-in by voice", () => {
  it("echo-cancelled audio: 400 ms of speech over the answer cuts it, and the new turn hears that speech", async () => {
    const { clock, bridge, user, logs } = await setup();
    await answerPlaying(user, true);
    expect(bridge.state()).toBe("speaking");
    clock.advance(1500); // the first sentence and half of the second heard
    say(user, 400);
    const cut = await user.waitForType("turn_interrupted");
    // The user's own voice took over (in a continuous session, the turns are the audio owner's).
    expect(cut.data).toEqual({
      turn_id: "t1",
      reason: "barge_in",
      state: "speaking",
      outcome: "answer_cut",
      client: "c1",
      question: "400 ms of speech",
      by: "t2",
      by_client: "c1",
      heard_ms: 1500,
      heard_text: "The first sentence is it. The second—",
    });
    // The new turn listens at once, and its recogniser got the whole 400 ms, first words included.
    const cutAt = user.messages.indexOf(cut);
    expect(user.messages[cutAt + 1]).toMatchObject({ type: "state_change", data: { state: "listening", previous: "speaking", turn_id: "t2", mode: "continuous" } });
    expect((await user.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t2")).data).toMatchObject({ text: "400 ms of speech" });
    // The cut turn's figures are kept, marked interrupted; after its turn_interrupted only its memory follows:
    // what was heard, stored marked interrupted.
    expect(user.messages.find((m) => m.type === "latency_trace" && m.data.turn_id === "t1")!.data).toMatchObject({ interrupted: true });
    const stored = await user.waitFor((m) => m.type === "memory_store" && m.data.turn_id === "t1");
    expect(stored.data).toMatchObject({ interrupted: true });
    expect(ofTurn(user, "t1").slice(-3).map((m) => m.type)).toEqual(["latency_trace", "turn_interrupted", "memory_store"]);
    expect(user.ofType("command_error")).toEqual([]);
    expect(logs.filter((l) => l.msg === "barge-in by voice")).toEqual([{ msg: "barge-in by voice", fields: { turnId: "t1", clientId: expect.any(String), speechMs: 300, prerollMs: 300 } }]);
  });

  it("speech while the answer is still being generated cuts the generation", async () => {
    const { user } = await setup({ llm: { hangAfterTokens: 1, answer: "This answer never ends because the model stalls" } });
    expect((await user.command("stt_start", { mode: "continuous", echo_cancellation: true }, "s1")).type).toBe("command_ack");
    say(user, 400);
    await user.waitFor((m) => m.type === "llm_progress" && m.data.turn_id === "t1");
    say(user, 400);
    const cut = await user.waitForType("turn_interrupted");
    expect(cut.data).toEqual({
      turn_id: "t1",
      reason: "barge_in",
      state: "thinking",
      outcome: "unanswered",
      client: "c1",
      question: "400 ms of speech",
      by: "t2",
      by_client: "c1",
      heard_ms: 0,
      heard_text: "",
    });
    expect((await user.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t2")).data).toMatchObject({ text: "400 ms of speech" });
  });

  it("200 ms of speech (under the 300 ms minimum) does not interrupt; the answer plays to its end", async () => {
    const { clock, bridge, user } = await setup();
    await answerPlaying(user, true);
    say(user, 200);
    await settle(user);
    expect(bridge.state()).toBe("speaking");
    clock.advance(ANSWER_MS);
    await user.waitFor((m) => m.type === "stt_start" && m.data.turn_id === "t2");
    expect(user.ofType("turn_interrupted")).toEqual([]);
    expect(user.messages.find((m) => m.type === "latency_trace" && m.data.turn_id === "t1")!.data).toMatchObject({ interrupted: false });
    // The short burst is not carried into the next utterance.
    say(user, 400);
    expect((await user.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t2")).data).toMatchObject({ text: "400 ms of speech" });
  });

  it("audio without echo cancellation (barge-in auto): speech over the answer is dropped quietly; listening resumes when playout ends", async () => {
    const { clock, bridge, user } = await setup();
    await answerPlaying(user);
    clock.advance(1000);
    say(user, 600);
    await settle(user);
    expect(bridge.state()).toBe("speaking");
    expect(user.ofType("turn_interrupted")).toEqual([]);
    expect(ofTurn(user, "t2")).toEqual([]);
    expect(user.ofType("command_error")).toEqual([]);
    clock.advance(ANSWER_MS - 1001);
    await settle(user);
    expect(ofTurn(user, "t2")).toEqual([]);
    clock.advance(1);
    const relisten = await user.waitFor((m) => m.type === "state_change" && m.data.turn_id === "t2");
    expect(relisten.data).toMatchObject({ state: "listening", previous: "speaking", mode: "continuous" });
    say(user, 400);
    expect((await user.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t2")).data).toMatchObject({ text: "400 ms of speech" });
    expect(user.ofType("command_error")).toEqual([]);
  });

  it("with the VAD off there is no barge-in by voice, even when asked for", async () => {
    const bridge = track(
      createBridge({
        engines: {
          stt: new ScriptedSttEngine({ utterances: ["hello", "again"] }),
          llm: new ScriptedLlmEngine({ answer: ANSWER }),
          tts: new ScriptedTtsEngine({ msPerChar: 40, chunkMs: 200 }),
          memory: new InMemoryStore(),
          tools: new FakeToolRunner(),
        },
        vad: false,
        bargeIn: "on",
        playoutClock: new ManualClock(),
      }),
    );
    const user = await client(`${(await server({ pipeline: bridge })).wsUrl}/?audio=1`);
    expect((await user.command("stt_start", { mode: "continuous", echo_cancellation: true }, "s1")).type).toBe("command_ack");
    await user.waitFor((m) => m.type === "tts_result" && m.data.turn_id === "t1");
    say(user, 600);
    await settle(user);
    expect(bridge.state()).toBe("speaking");
    expect(user.ofType("turn_interrupted")).toEqual([]);
    expect(user.ofType("command_error")).toEqual([]);
  });

  it("refuses an echo_cancellation that is not a boolean, and nothing starts", async () => {
    const { bridge, user } = await setup();
    const refused = await user.command("stt_start", { mode: "continuous", echo_cancellation: "yes" }, "s1");
    expect(refused).toMatchObject({ type: "command_error", data: { id: "s1", code: "invalid_data" } });
    expect((refused.data as { message: string }).message).toContain("echo_cancellation");
    expect(bridge.state()).toBe("idle");
  });

  it.each([
    { bargeIn: "on" as const, echoCancellation: false, interrupts: true },
    { bargeIn: "off" as const, echoCancellation: true, interrupts: false },
  ])("bargeIn $bargeIn overrides echo_cancellation $echoCancellation", async ({ bargeIn, echoCancellation, interrupts }) => {
    const { bridge, user } = await setup({ bargeIn });
    await answerPlaying(user, echoCancellation);
    say(user, 400);
    if (interrupts) {
      expect((await user.waitForType("turn_interrupted")).data).toMatchObject({ turn_id: "t1", reason: "barge_in", by: "t2" });
      expect((await user.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t2")).data).toMatchObject({ text: "400 ms of speech" });
    } else {
      await settle(user);
      expect(bridge.state()).toBe("speaking");
      expect(user.ofType("turn_interrupted")).toEqual([]);
    }
    expect(user.ofType("command_error")).toEqual([]);
  });
});
