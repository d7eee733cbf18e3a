/**
 * Barge-in by voice in a room where others talk, over a real WebSocket with
 * real audio made here: six-talker eSpeak babble 10 dB below the user runs
 * under everything. The user asks a question (eSpeak), the answer plays
 * (audio taken with ?audio=1, on a clock the test holds), the babble goes
 * on for 3 s, then the user says "Stop, that is enough." The detector is
 * the server's: Silero behind the speaker-level gate, one speaker level for
 * the conversation (`withSpeakerLevel`, as createCodaServer wires it).
 * The babble does not interrupt; the user does, and the new turn's
 * recogniser hears from the user's first word, not from the babble. (With
 * Silero alone the question itself never ends in this babble: see
 * test/server/app/speech-in-babble.test.ts; without the shared speaker level
 * the monitor takes the babble for the user and the new turn starts in it.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import { concat, labelSpeech, makeNoise, mixAtSnr, silence, speak, toPcm16 } from "../../../actors/stt/testing/speech-in-noise.js";
import { withSpeakerLevel } from "../../../actors/stt/vad-level-gate.js";
import { loadVad } from "../../../actors/stt/vad-select.js";
import type { VadProvider } from "../../../actors/stt/vad.js";
import { FakeToolRunner } from "../../../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../../../actors/tts/testing/scripted.js";
import { loadEspeak } from "../../../actors/tts/espeak-wasm.js";
import { speechBounds } from "../../helpers/vad.js";
import { createBridge } from "../../../server/pipeline/bridge.js";
import type { TestClient } from "../../helpers/client.js";
import { ManualClock } from "../../helpers/clock.js";
import { useServers } from "../../helpers/server.js";

const { server, client, track } = useServers();
const FRAME_BYTES = 3200; // 100 ms

let gated: VadProvider;
let question: Uint8Array;
/** The babble alone, then the user's "stop" in it. */
let babbleOnly: Uint8Array;
let stop: Uint8Array;
/** The user's words in `stop` (ms from its start). */
let stopSpeech: { startMs: number; endMs: number };

beforeAll(async () => {
  const synth = await loadEspeak();
  const asked = concat([silence(500), speak(synth, "What is the weather like tomorrow?", { voice: "en-gb", rate: 160 }), silence(1500)]);
  const before = silence(3000);
  const said = concat([silence(300), speak(synth, "Stop, that is enough.", { rate: 170 }), silence(1500)]);
  const all = concat([asked, before, said]);
  const mixed = mixAtSnr(all, labelSpeech(all, 400), makeNoise("babble", all.length, synth), 10);
  question = toPcm16(mixed.subarray(0, asked.length));
  babbleOnly = toPcm16(mixed.subarray(asked.length, asked.length + before.length));
  stop = toPcm16(mixed.subarray(asked.length + before.length));
  stopSpeech = speechBounds(said);
  gated = await loadVad();
  // Loading eSpeak and starting the model worker takes seconds on a busy machine.
}, 90_000);
afterAll(async () => {
  await gated.close();
});

const ANSWER = "Tomorrow will be sunny in the morning. Clouds come in the afternoon. It may rain in the evening, so take a coat.";

async function setup(vad: VadProvider) {
  const stt = new ScriptedSttEngine({ utterances: ["what is the weather like tomorrow", "stop that is enough"], waitForAudioEnd: true });
  const bridge = track(
    createBridge({
      engines: {
        stt,
        llm: new ScriptedLlmEngine({ answer: ANSWER }),
        tts: new ScriptedTtsEngine({ msPerChar: 40, chunkMs: 200 }),
        memory: new InMemoryStore(),
        tools: new FakeToolRunner(),
      },
      vad: withSpeakerLevel(vad),
      playoutClock: new ManualClock(),
    }),
  );
  // The audio goes faster than real time: more frames a second than a microphone sends.
  const s = await server({ pipeline: bridge, audioFramesPerSecond: 1000 });
  // The dashboard: it streams the echo-cancelled microphone and plays the answers.
  const user = await client(`${s.wsUrl}/?audio=1`);
  expect((await user.command("stt_start", { mode: "continuous", echo_cancellation: true }, "s1")).type).toBe("command_ack");
  send(user, question);
  expect((await user.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t1", { timeoutMs: 15_000 })).data).toMatchObject({ text: "what is the weather like tomorrow" });
  await user.waitFor((m) => m.type === "tts_result" && m.data.turn_id === "t1", { timeoutMs: 10_000 });
  expect(bridge.state()).toBe("speaking");
  return { user, stt, bridge };
}

function send(user: TestClient, pcm: Uint8Array): number {
  let frames = 0;
  for (let at = 0; at < pcm.byteLength; at += FRAME_BYTES, frames++) user.ws.send(pcm.subarray(at, at + FRAME_BYTES), { binary: true });
  return frames;
}

describe("barge-in with babble 10 dB below the user", () => {
  it("the babble does not interrupt the answer; the user does, and the new turn hears from their first word", { timeout: 60_000 }, async () => {
    const { user, stt } = await setup(gated);
    send(user, babbleOnly);
    send(user, stop);
    const cut = await user.waitForType("turn_interrupted", { timeoutMs: 15_000 });
    expect(cut.data).toMatchObject({ turn_id: "t1", reason: "barge_in", state: "speaking", by: "t2" });
    expect((await user.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t2", { timeoutMs: 15_000 })).data).toMatchObject({ text: "stop that is enough" });
    // The new utterance began at the user's words (its pre-roll), not 3 s earlier in the babble, and ended after them.
    const heardMs = stt.calls[1]!.chunks * 100;
    const spokenMs = stopSpeech.endMs - stopSpeech.startMs;
    expect(heardMs).toBeGreaterThanOrEqual(spokenMs);
    expect(heardMs).toBeLessThanOrEqual(spokenMs + 700 + 150 + 300);
    expect(user.ofType("command_error")).toEqual([]);
  });
});
