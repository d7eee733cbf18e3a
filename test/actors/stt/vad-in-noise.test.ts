/**
 * End-of-speech in noise, on real audio made here: an eSpeak NG utterance
 * (two phrases with a pause between them) in white and brown noise at 10 dB
 * SNR and white noise at 0 dB, at a normal microphone level. The detector the
 * server runs by default must find the utterance, keep it whole across the
 * pause and end it within the end-of-speech silence plus 150 ms (and not
 * more than 100 ms before it: a faint last phoneme may drown in the noise).
 *
 * The detector under test is `loadVad({ detector })` with detector from
 * CODA_TEST_VAD (default "silero"). `CODA_TEST_VAD=energy npx vitest run
 * test/actors/stt/vad-in-noise.test.ts` runs the same tests on the energy
 * detector, and they fail: it takes the noise for speech and never hears the
 * end. The last test checks that failure on every run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { concat, LABEL_MS, labelSpeech, makeNoise, mixAtSnr, silence, speak, type NoiseKind } from "../../../actors/stt/testing/speech-in-noise.js";
import { loadVad } from "../../../actors/stt/vad-select.js";
import type { VadEvent, VadProvider } from "../../../actors/stt/vad.js";
import { loadEspeak, type EspeakSynth } from "../../../actors/tts/espeak-wasm.js";
import { detect } from "../../helpers/vad.js";

const DETECTOR = process.env.CODA_TEST_VAD === "energy" ? "energy" : "silero";
const HANGOVER_MS = 700;

let synth: EspeakSynth;
let clean: Float32Array;
let labels: boolean[];
let provider: VadProvider;
let energy: VadProvider;

beforeAll(async () => {
  synth = await loadEspeak();
  clean = concat([
    silence(1500),
    speak(synth, "Turn on the kitchen lights.", { voice: "en-us", rate: 170 }),
    silence(350),
    speak(synth, "And set a timer for ten minutes.", { voice: "en-us", rate: 170 }),
    silence(3000),
  ]);
  labels = labelSpeech(clean, 400);
  provider = await loadVad({ detector: DETECTOR, endpointing: { hangoverMs: HANGOVER_MS } });
  energy = await loadVad({ detector: "energy", endpointing: { hangoverMs: HANGOVER_MS } });
  // Loading eSpeak and starting the model worker takes seconds on a busy machine.
}, 90_000);
afterAll(async () => {
  await provider.close();
  await energy.close();
});

function truth() {
  return { startMs: labels.indexOf(true) * LABEL_MS, endMs: (labels.lastIndexOf(true) + 1) * LABEL_MS };
}

describe(`the ${DETECTOR} detector in noise`, () => {
  it("the clean utterance is one labelled stretch: the 350 ms pause is inside it", () => {
    const { startMs, endMs } = truth();
    expect(startMs).toBeGreaterThanOrEqual(1500);
    expect(endMs - startMs).toBeGreaterThan(2500);
    expect(labels.slice(startMs / LABEL_MS, endMs / LABEL_MS).every(Boolean)).toBe(true);
  });

  it.each<[NoiseKind, number]>([
    ["white", 10],
    ["brown", 10],
    ["white", 0],
  ])("%s noise at %i dB SNR: one utterance, found at its start and ended within the silence + 150 ms", async (kind, snrDb) => {
    const noisy = mixAtSnr(clean, labels, makeNoise(kind, clean.length, synth), snrDb);
    const events = await detect(provider, noisy);
    const { startMs, endMs } = truth();
    expect(events.map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
    const [start, end] = events as [VadEvent, VadEvent];
    expect(Math.abs(start.atMs - startMs)).toBeLessThanOrEqual(200);
    expect(end).toMatchObject({ type: "speech_end", reason: "silence" });
    // Not before the silence has run (a faint last phoneme may drown in the noise: 100 ms of slack).
    expect(end.atMs - endMs).toBeGreaterThanOrEqual(HANGOVER_MS - 100);
    expect(end.atMs - endMs).toBeLessThanOrEqual(HANGOVER_MS + 150);
  });

  it("the energy detector fails the same audio: white noise at 10 dB reads as speech that never ends", async () => {
    const noisy = mixAtSnr(clean, labels, makeNoise("white", clean.length, synth), 10);
    // Speech "starts" with the noise, before anyone speaks, and no end comes before the 30 s maximum.
    expect(await detect(energy, noisy)).toEqual([{ type: "speech_start", atMs: 0 }]);
  });
});
