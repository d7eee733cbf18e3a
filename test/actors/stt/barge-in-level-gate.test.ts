/**
 * Barge-in in a room where others talk, on real audio made here: the user
 * asks a question in six-talker babble 10 dB below their voice, then, while
 * the answer plays, the babble goes on for 4 s before the user says "Stop,
 * that is enough." The barge-in monitor runs a detector of the same
 * provider as the utterances (the server's default, Silero behind the
 * speaker-level gate), sharing the conversation's speaker level: the babble
 * does not interrupt, the user does, and the pre-roll starts at their words.
 * Silero without the gate interrupts on the babble at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../../actors/audio.js";
import { BargeInMonitor, type BargeInSpeech } from "../../../actors/stt/barge-in.js";
import { concat, labelSpeech, makeNoise, mixAtSnr, silence, speak, toPcm16 } from "../../../actors/stt/testing/speech-in-noise.js";
import { withSpeakerLevel } from "../../../actors/stt/vad-level-gate.js";
import { loadVad } from "../../../actors/stt/vad-select.js";
import type { VadProvider } from "../../../actors/stt/vad.js";
import { loadEspeak } from "../../../actors/tts/espeak-wasm.js";
import { speechBounds } from "../../helpers/vad.js";

const CHUNK = 3200; // 100 ms

let gated: VadProvider;
let ungated: VadProvider;
let question: Uint8Array;
let overAnswer: Uint8Array;
/** Where the user starts speaking over the answer (ms into `overAnswer`). */
let userStartMs: number;

beforeAll(async () => {
  const synth = await loadEspeak();
  const asked = concat([silence(500), speak(synth, "What is the weather like tomorrow?", { voice: "en-gb", rate: 160 }), silence(1000)]);
  const stop = concat([silence(4000), speak(synth, "Stop, that is enough.", { rate: 170 }), silence(1000)]);
  const both = concat([asked, stop]);
  const labels = labelSpeech(both, 400);
  const mixed = mixAtSnr(both, labels, makeNoise("babble", both.length, synth), 10);
  question = toPcm16(mixed.subarray(0, asked.length));
  overAnswer = toPcm16(mixed.subarray(asked.length));
  userStartMs = speechBounds(stop).startMs;
  gated = await loadVad();
  ungated = await loadVad({ levelGateDb: 0 });
  // Loading eSpeak and starting the model worker takes seconds on a busy machine.
}, 90_000);
afterAll(async () => {
  await gated.close();
  await ungated.close();
});

/** The question through an utterance detector of the conversation, then the audio over the answer through a monitor; what fired. */
async function converse(provider: VadProvider): Promise<BargeInSpeech[]> {
  const conversation = withSpeakerLevel(provider);
  const utterance = conversation.create(INPUT_PCM);
  for (let at = 0; at < question.byteLength; at += CHUNK) await utterance.push(question.subarray(at, at + CHUNK));
  const fired: BargeInSpeech[] = [];
  const monitor = new BargeInMonitor({ vad: conversation, format: INPUT_PCM, minSpeechMs: 300, onSpeech: (speech) => fired.push(speech) });
  for (let at = 0; at < overAnswer.byteLength && !monitor.done; at += CHUNK) {
    monitor.push(overAnswer.subarray(at, at + CHUNK));
    await monitor.idle();
  }
  return fired;
}

describe("barge-in with babble 10 dB below the user", () => {
  it("behind the level gate the babble does not interrupt; the user does, and the pre-roll starts at their words", async () => {
    const fired = await converse(gated);
    expect(fired).toHaveLength(1);
    const speech = fired[0]!;
    expect(Math.abs(speech.startMs - userStartMs)).toBeLessThanOrEqual(200);
    expect(speech.atMs).toBeGreaterThanOrEqual(userStartMs + 300);
    // Enough speech frames within a second of speaking: the user's own syllables pass the gate.
    expect(speech.atMs).toBeLessThanOrEqual(userStartMs + 1000);
    const prerollMs = speech.preroll.reduce((n, c) => n + c.byteLength, 0) / 32;
    expect(prerollMs).toBeGreaterThanOrEqual(speech.atMs - speech.startMs);
    expect(prerollMs).toBeLessThanOrEqual(speech.atMs - speech.startMs + 200);
  });

  it("Silero alone takes the babble for the user and interrupts at once", async () => {
    const fired = await converse(ungated);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.atMs).toBeLessThan(1000);
  });
});
