/**
 * The energy VAD on synthetic PCM: tone bursts and silence with exact
 * durations, so start and end times are exact.
 */
import { describe, expect, it } from "vitest";
import { EnergyVad, rmsS16, untilUtteranceEnd, VAD_DEFAULTS, type VadEvent } from "../../../actors/stt/vad.js";
import { INPUT_PCM } from "../../../actors/audio.js";
import { monoFloatToPcm, pcmToMonoFloat, resampleMono } from "../../../actors/audio-resample.js";
import { concatBytes } from "../../../actors/wav.js";

/** `ms` of a 16 kHz 440 Hz sine at `amplitude` (0..1 of full scale). */
function tone(ms: number, amplitude = 0.3): Uint8Array {
  const n = 16 * ms;
  const out = new Uint8Array(n * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) view.setInt16(i * 2, Math.round(Math.sin((2 * Math.PI * 440 * i) / 16000) * amplitude * 32767), true);
  return out;
}
const silence = (ms: number) => new Uint8Array(32 * ms);

function run(vad: EnergyVad, pcm: Uint8Array, chunkBytes = 640): VadEvent[] {
  const events: VadEvent[] = [];
  for (let at = 0; at < pcm.byteLength; at += chunkBytes) events.push(...vad.push(pcm.subarray(at, at + chunkBytes)));
  return events;
}

describe("rmsS16", () => {
  it("measures level on a 0..1 scale", () => {
    expect(rmsS16(silence(10))).toBe(0);
    expect(rmsS16(new Uint8Array(0))).toBe(0);
    expect(rmsS16(tone(100, 0.5))).toBeCloseTo(0.5 / Math.SQRT2, 2);
  });
});

describe("EnergyVad", () => {
  it("documents its defaults", () => {
    expect(VAD_DEFAULTS).toEqual({ frameMs: 20, threshold: 0.01, startMs: 60, hangoverMs: 700, maxUtteranceMs: 30000 });
  });

  it("starts speech at the first loud frame and ends it after the hangover of silence", () => {
    const vad = new EnergyVad();
    const events = run(vad, concatBytes(silence(500), tone(1000), silence(1000)));
    expect(events).toEqual([
      { type: "speech_start", atMs: 500 },
      { type: "speech_end", atMs: 1500 + 700, reason: "silence" },
    ]);
    expect(vad.inSpeech).toBe(false);
  });

  it("keeps one utterance across pauses shorter than the hangover", () => {
    const events = run(new EnergyVad(), concatBytes(tone(400), silence(600), tone(400), silence(800)));
    expect(events).toEqual([
      { type: "speech_start", atMs: 0 },
      { type: "speech_end", atMs: 1400 + 700, reason: "silence" },
    ]);
  });

  it("ignores a click shorter than startMs and audio below the threshold", () => {
    const events = run(new EnergyVad(), concatBytes(silence(200), tone(40), silence(500), tone(1000, 0.005), silence(500)));
    expect(events).toEqual([]);
  });

  it("ends an utterance that reaches maxUtteranceMs, then detects the next one", () => {
    const vad = new EnergyVad({ maxUtteranceMs: 1200 });
    const events = run(vad, concatBytes(tone(1500), silence(800)));
    expect(events).toEqual([
      { type: "speech_start", atMs: 0 },
      { type: "speech_end", atMs: 1200, reason: "max_length" },
      { type: "speech_start", atMs: 1200 },
      { type: "speech_end", atMs: 1500 + 700, reason: "silence" },
    ]);
  });

  it("gives the same events whatever the chunk size (partial frames carried over)", () => {
    const pcm = concatBytes(silence(300), tone(500), silence(900));
    const expected = run(new EnergyVad({ hangoverMs: 500 }), pcm, 640);
    expect(expected.length).toBe(2);
    expect(run(new EnergyVad({ hangoverMs: 500 }), pcm, 77 * 2 + 1)).toEqual(expected);
    expect(run(new EnergyVad({ hangoverMs: 500 }), pcm, pcm.byteLength)).toEqual(expected);
  });

  it("starts over after reset()", () => {
    const vad = new EnergyVad();
    run(vad, concatBytes(silence(100), tone(200)));
    expect(vad.inSpeech).toBe(true);
    vad.reset();
    expect(vad.inSpeech).toBe(false);
    expect(run(vad, concatBytes(silence(100), tone(200)))).toEqual([{ type: "speech_start", atMs: 100 }]);
  });

  it("refuses invalid thresholds with a TypeError", () => {
    expect(() => new EnergyVad({ threshold: 0 })).toThrow(new TypeError("vad threshold must be between 0 and 1 (RMS of full scale)"));
    expect(() => new EnergyVad({ hangoverMs: 2000, maxUtteranceMs: 1000 })).toThrow(TypeError);
  });

  it("converts other formats to 16 kHz mono first: 48 kHz stereo float gives the same events", () => {
    const format = { sample_rate: 48000, sample_type: "f32le", channels: 2 } as const;
    const mono16 = concatBytes(silence(500), tone(1000), silence(1000));
    const pcm = monoFloatToPcm(resampleMono(pcmToMonoFloat(mono16, INPUT_PCM), 16000, 48000), format);
    expect(run(new EnergyVad({}, format), pcm, 9600)).toEqual(run(new EnergyVad(), mono16));
  });
});

describe("untilUtteranceEnd", () => {
  it("passes audio through up to the chunk where the utterance ends, then stops pulling", async () => {
    let pulled = 0;
    const chunks = [silence(200), tone(400), silence(400), silence(400), tone(400)];
    async function* source(): AsyncGenerator<Uint8Array> {
      for (const c of chunks) {
        pulled++;
        yield c;
      }
    }
    const events: VadEvent[] = [];
    const passed: Uint8Array[] = [];
    for await (const c of untilUtteranceEnd(source(), new EnergyVad(), (e) => events.push(e))) passed.push(c);
    expect(passed.length).toBe(4);
    expect(pulled).toBe(4);
    expect(events).toEqual([
      { type: "speech_start", atMs: 200 },
      { type: "speech_end", atMs: 1300, reason: "silence" },
    ]);
  });
});
