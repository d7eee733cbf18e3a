/**
 * The speaker-level gate (actors/stt/vad-level-gate.ts) on real audio made
 * here: eSpeak NG speech in six-talker eSpeak babble 10 dB below it, as in
 * a room where others talk. Silero alone hears the babble as speech that
 * never ends; behind the gate (the server's default, `loadVad()`) the
 * utterance ends within the end-of-speech silence, a conversation's next
 * utterance starts when the user speaks, and a quiet speaker is heard as
 * well as before: the gate only takes away talk quieter than the speaker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../../actors/audio.js";
import { atSpeechLevel, concat, labelSpeech, makeNoise, mixAtSnr, silence, speak, toPcm16, whiteNoise } from "../../../actors/stt/testing/speech-in-noise.js";
import { energyVadProvider } from "../../../actors/stt/vad-energy.js";
import { gateByLevel, LEVEL_GATE_DEFAULTS, SpeakerLevel, withSpeakerLevel } from "../../../actors/stt/vad-level-gate.js";
import { loadVad } from "../../../actors/stt/vad-select.js";
import type { VadEvent, VadProvider } from "../../../actors/stt/vad.js";
import { loadEspeak, type EspeakSynth } from "../../../actors/tts/espeak-wasm.js";
import { detect, speechBounds } from "../../helpers/vad.js";

const HANGOVER_MS = 700;

let synth: EspeakSynth;
let gated: VadProvider;
let ungated: VadProvider;
/** Two utterances of one person, each with 1.5 s before and 3 s after. */
let first: Float32Array;
let second: Float32Array;

beforeAll(async () => {
  synth = await loadEspeak();
  first = concat([
    silence(1500),
    speak(synth, "Turn on the kitchen lights.", { rate: 170 }),
    silence(350),
    speak(synth, "And set a timer for ten minutes.", { rate: 170 }),
    silence(3000),
  ]);
  second = concat([silence(1500), speak(synth, "What is the weather like tomorrow?", { voice: "en-gb", rate: 160 }), silence(3000)]);
  gated = await loadVad();
  ungated = await loadVad({ levelGateDb: 0 });
  // Loading eSpeak and starting the model worker takes seconds on a busy machine.
}, 90_000);
afterAll(async () => {
  await gated.close();
  await ungated.close();
});


/** Both utterances in one stretch of babble `snrDb` below the speech, split again. */
function inBabble(snrDb: number): [Float32Array, Float32Array] {
  const both = concat([first, second]);
  const mixed = mixAtSnr(both, labelSpeech(both, 400), makeNoise("babble", both.length, synth), snrDb);
  return [mixed.slice(0, first.length), mixed.slice(first.length)];
}

/** The end of the utterance came after its last word, within the silence (a faint last phoneme may drown: 100 ms of slack) + 150 ms. */
function expectEndOf(clean: Float32Array, end: VadEvent | undefined) {
  expect(end).toMatchObject({ type: "speech_end", reason: "silence" });
  const late = end!.atMs - speechBounds(clean).endMs;
  expect(late).toBeGreaterThanOrEqual(HANGOVER_MS - 100);
  expect(late).toBeLessThanOrEqual(HANGOVER_MS + 150);
}

describe("Silero behind the speaker-level gate, babble 10 dB below the user", () => {
  it("Silero alone hears the babble as speech that never ends", async () => {
    const [noisy] = inBabble(10);
    const events = await detect(ungated, noisy);
    expect(events.filter((e) => e.type === "speech_end")).toEqual([]);
  });

  it("gated, the utterance ends within the end-of-speech silence, once, with no cut at its inner pause", async () => {
    const [noisy] = inBabble(10);
    const events = await detect(gated, noisy);
    // The detector has not heard the user yet when the babble begins, so it starts with it.
    expect(events.map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
    expectEndOf(first, events[1]);
  });

  it("the conversation's next utterance starts when the user speaks, not with the babble, and ends after them", async () => {
    const [one, two] = inBabble(10);
    const conversation = withSpeakerLevel(gated);
    await detect(conversation, one);
    const events = await detect(conversation, two);
    expect(events.map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
    expect(Math.abs(events[0]!.atMs - speechBounds(second).startMs)).toBeLessThanOrEqual(200);
    expectEndOf(second, events[1]);
  });
});

describe("the gate and quiet speakers", () => {
  /** `clean` at `speechRms` active level, in a quiet room (white noise 40 dB below a normal voice). */
  function atLevel(clean: Float32Array, speechRms: number): Float32Array {
    const room = whiteNoise(clean.length, 7);
    return atSpeechLevel(clean, labelSpeech(clean, 400), speechRms).map((s, i) => s + room[i]! * 0.0005);
  }

  it("a speaker 20 dB quieter than usual (-46 dBFS) is found where Silero alone finds them", async () => {
    const quiet = atLevel(first, 0.005);
    const alone = await detect(ungated, quiet);
    expect(alone.map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
    const events = await detect(gated, quiet);
    expect(events.map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
    expect(events[0]).toEqual(alone[0]);
    expectEndOf(first, events[1]);
  });

  it("after a loud utterance, a speaker who steps back (20 dB quieter) is heard once the speaker level has come down in the pauses", async () => {
    const loud = atLevel(concat([silence(500), speak(synth, "What is the weather like tomorrow?", { voice: "en-gb", rate: 160 }), silence(300)]), 0.1);
    const quietSoon = atLevel(first, 0.01);
    // The level must come down (20 - 6) dB at 3 dB per second of quiet: about 4.7 s.
    const quietLater = atLevel(concat([silence(4000), first]), 0.01);
    const soon = withSpeakerLevel(gated);
    await detect(soon, loud);
    // 1.8 s of quiet is not enough: this is the gate keeping out talk quieter than the speaker.
    expect(await detect(soon, quietSoon)).toEqual([]);
    const later = withSpeakerLevel(gated);
    await detect(later, loud);
    const events = await detect(later, quietLater);
    expect(events.map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
    expect(Math.abs(events[0]!.atMs - 4000 - speechBounds(first).startMs)).toBeLessThanOrEqual(200);
  });
});

describe("gateByLevel", () => {
  it("over a synchronous detector (energy) answers synchronously, and takes white noise 10 dB below the speech out", () => {
    const labels = labelSpeech(first, 400);
    const noisy = toPcm16(mixAtSnr(first, labels, whiteNoise(first.length, 3), 10));
    const plain = energyVadProvider({ startMs: 100 }).create(INPUT_PCM);
    const detector = gateByLevel(LEVEL_GATE_DEFAULTS, energyVadProvider({ startMs: 100 })).create(INPUT_PCM, { speaker: new SpeakerLevel() });
    const events: VadEvent[] = [];
    const plainEvents: VadEvent[] = [];
    for (let at = 0; at < noisy.byteLength; at += 3200) {
      const result = detector.push(noisy.subarray(at, at + 3200));
      expect(Array.isArray(result)).toBe(true);
      events.push(...(result as VadEvent[]));
      plainEvents.push(...(plain.push(noisy.subarray(at, at + 3200)) as VadEvent[]));
    }
    expect(plainEvents.map((e) => e.type)).toEqual(["speech_start"]);
    expect(events.map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
    expectEndOf(first, events[1]);
  });

  it("refuses settings out of range with one TypeError", () => {
    expect(() => gateByLevel({ marginDb: 41, decayDbPerS: 3 }, energyVadProvider())).toThrow(new TypeError("vad level gate marginDb must be between 0 (off) and 40"));
    expect(() => gateByLevel({ marginDb: 6, decayDbPerS: -1 }, energyVadProvider())).toThrow(new TypeError("vad level gate decayDbPerS must be between 0 and 20"));
  });
});
