/**
 * The embedded Flite engine makes real, audible 16 kHz PCM in a worker
 * thread, reuses that worker, refuses voices it does not have, and stops
 * when aborted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pcmDurationMs } from "../../../actors/audio.js";
import { EngineError } from "../../../actors/engine-error.js";
import { FliteTts } from "../../../actors/tts/flite.js";
import { FLITE_PCM, loadFlite } from "../../../actors/tts/flite-wasm.js";
import { concatBytes } from "../../../actors/wav.js";
import { expectPlausibleSpeech, itCancelsLikeAWorkerEngine } from "./engine-checks.js";
import { collect } from "../../helpers/iterables.js";
import { rmsS16 } from "../../../actors/stt/vad.js";


describe("FliteTts", () => {
  let tts: FliteTts;
  beforeAll(async () => {
    tts = new FliteTts({ chunkMs: 100, startTimeoutMs: 60_000 });
    await tts.start();
  }, 60_000);
  afterAll(async () => {
    await tts.close();
  });

  it("is named flite, speaks rms by default, 16 kHz s16le mono", () => {
    expect(tts.name).toBe("flite");
    expect(tts.voice).toBe("rms");
    expect(tts.format).toEqual({ sample_rate: 16000, sample_type: "s16le", channels: 1 });
  });

  it("turns a sentence into non-silent PCM of plausible length, in 100 ms chunks", async () => {
    const text = "The quick brown fox jumps over the lazy dog.";
    const chunks = await collect(tts.synthesize(text, { signal: new AbortController().signal }));
    const pcm = concatBytes(...chunks);
    // 100 ms of 16 kHz s16 = 3200 bytes, the last chunk shorter.
    expect(chunks.slice(0, -1).every((c) => c.byteLength === 3200)).toBe(true);
    expect(chunks.at(-1)!.byteLength).toBeLessThanOrEqual(3200);
    expectPlausibleSpeech(pcm, FLITE_PCM, text);
  });

  it("reuses one worker and gives the same audio for the same text (fresh program state per sentence)", async () => {
    const before = tts.stats;
    const signal = new AbortController().signal;
    const a = concatBytes(...(await collect(tts.synthesize("Repeatable.", { signal }))));
    const b = concatBytes(...(await collect(tts.synthesize("And a second, longer sentence after it.", { signal }))));
    const c = concatBytes(...(await collect(tts.synthesize("Repeatable.", { signal }))));
    expect(b.byteLength).toBeGreaterThan(a.byteLength);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(true);
    expect(tts.stats.workerStarts).toBe(1);
    expect(tts.stats.sentences).toBe(before.sentences + 3);
  });

  it("speaks text that looks like a command-line option as text", async () => {
    const pcm = concatBytes(...(await collect(tts.synthesize("-voice kal -o /etc/passwd", { signal: new AbortController().signal }))));
    expect(pcmDurationMs(pcm.byteLength, FLITE_PCM)).toBeGreaterThan(1000);
  });

  itCancelsLikeAWorkerEngine(() => tts);

  it("refuses a voice Flite does not have, and a bad chunk length, with one TypeError", () => {
    expect(() => new FliteTts({ voice: "fr" })).toThrow(new TypeError('flite has no voice "fr"; choose one of rms, slt, awb, kal16, kal'));
    expect(() => new FliteTts({ chunkMs: 5 })).toThrow(new TypeError("flite chunkMs must be between 10 and 2000"));
  });

  it("fails requests after close() with engine_error", async () => {
    const closing = new FliteTts();
    await closing.close();
    const err = await collect(closing.synthesize("Hello.", { signal: new AbortController().signal })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: "engine_error", message: "the Flite engine is closed" });
  });
});

describe("Flite voices (synchronous core)", () => {
  it("every built-in voice speaks, at 16 kHz (kal's 8 kHz resampled), and an unknown voice is an engine_error", async () => {
    const synth = await loadFlite();
    for (const voice of ["slt", "rms", "awb", "kal16", "kal"] as const) {
      const pcm = synth.synthesize("Hello there.", { voice });
      const ms = pcmDurationMs(pcm.byteLength, FLITE_PCM);
      expect(ms, voice).toBeGreaterThan(400);
      expect(ms, voice).toBeLessThan(3000);
      expect(rmsS16(pcm), voice).toBeGreaterThan(0.01);
    }
    expect(() => synth.synthesize("Hello.", { voice: "nosuch" as "slt" })).toThrow(new EngineError("engine_error", 'Flite has no voice "nosuch" (voices: rms, slt, awb, kal16, kal)'));
  }, 60_000);
});
