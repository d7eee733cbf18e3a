/**
 * The embedded eSpeak NG engine makes real, audible PCM in a worker thread,
 * reuses that worker, and stops when aborted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import { EspeakTts } from "../../../actors/tts/espeak.js";
import { ESPEAK_PCM } from "../../../actors/tts/espeak-wasm.js";
import { concatBytes } from "../../../actors/wav.js";
import { expectPlausibleSpeech, itCancelsLikeAWorkerEngine } from "./engine-checks.js";
import { collect } from "../../helpers/iterables.js";


describe("EspeakTts", () => {
  let tts: EspeakTts;
  beforeAll(async () => {
    tts = new EspeakTts({ chunkMs: 100, startTimeoutMs: 60_000 });
    await tts.start();
  }, 90_000);
  afterAll(async () => {
    await tts.close();
  });

  it("turns a sentence into non-silent PCM of plausible length", async () => {
    const text = "The quick brown fox jumps over the lazy dog.";
    const chunks = await collect(tts.synthesize(text, { signal: new AbortController().signal }));
    const pcm = concatBytes(...chunks);
    expect(tts.format).toEqual({ sample_rate: 22050, sample_type: "s16le", channels: 1 });
    expect(pcm.byteLength % 2).toBe(0);
    // 100 ms chunks of 22.05 kHz s16 = 4410 bytes each, the last one shorter.
    expect(chunks.slice(0, -1).every((c) => c.byteLength === 4410)).toBe(true);
    expectPlausibleSpeech(pcm, ESPEAK_PCM, text);
  });

  it("reuses one worker for sentences in a row", async () => {
    const before = tts.stats;
    const signal = new AbortController().signal;
    const a = concatBytes(...(await collect(tts.synthesize("First sentence.", { signal }))));
    const b = concatBytes(...(await collect(tts.synthesize("And a second, longer sentence after it.", { signal }))));
    expect(a.byteLength).toBeGreaterThan(0);
    expect(b.byteLength).toBeGreaterThan(a.byteLength);
    const after = tts.stats;
    expect(after.workerStarts).toBe(1);
    expect(after.workerStarts).toBe(before.workerStarts);
    expect(after.sentences).toBe(before.sentences + 2);
  });

  it("synthesises the same text to the same audio every time (fresh state per call)", async () => {
    const signal = new AbortController().signal;
    const a = concatBytes(...(await collect(tts.synthesize("Repeatable.", { signal }))));
    const b = concatBytes(...(await collect(tts.synthesize("Repeatable.", { signal }))));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  itCancelsLikeAWorkerEngine(() => tts);

  it("reports an unknown voice as EngineError engine_error", async () => {
    const bad = new EspeakTts({ voice: "xx-nosuchvoice", startTimeoutMs: 60_000 });
    try {
      const err = await collect(bad.synthesize("Hello.", { signal: new AbortController().signal })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).code).toBe("engine_error");
      expect((err as EngineError).message).toBe("eSpeak NG failed: The specified espeak-ng voice does not exist.");
    } finally {
      await bad.close();
    }
  }, 90_000);

  it("changes the audio with rate and pitch", async () => {
    const fast = new EspeakTts({ rate: 350, pitch: 80, startTimeoutMs: 60_000 });
    try {
      const signal = new AbortController().signal;
      const text = "Speaking rate changes the length of the audio.";
      const slowPcm = concatBytes(...(await collect(tts.synthesize(text, { signal }))));
      const fastPcm = concatBytes(...(await collect(fast.synthesize(text, { signal }))));
      expect(fastPcm.byteLength).toBeLessThan(slowPcm.byteLength * 0.8);
    } finally {
      await fast.close();
    }
  }, 90_000);

  it("refuses invalid options with one TypeError", () => {
    expect(() => new EspeakTts({ rate: 10 })).toThrow(new TypeError("espeak rate must be an integer from 80 to 450 (words per minute)"));
    expect(() => new EspeakTts({ pitch: 100 })).toThrow(new TypeError("espeak pitch must be an integer from 0 to 99"));
    expect(() => new EspeakTts({ voice: "en us; rm" })).toThrow(TypeError);
  });

  it("fails requests after close()", async () => {
    const closing = new EspeakTts();
    await closing.close();
    await expect(collect(closing.synthesize("Hello.", { signal: new AbortController().signal }))).rejects.toMatchObject({ code: "engine_error" });
  });
});
