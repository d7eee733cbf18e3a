/**
 * The embedded eSpeak NG engine makes real, audible PCM in a worker thread,
 * reuses that worker, and stops when aborted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pcmDurationMs } from "../../../actors/audio.js";
import { EngineError, isAbortError } from "../../../actors/engine-error.js";
import { EspeakTts } from "../../../actors/tts/espeak.js";
import { ESPEAK_PCM } from "../../../actors/tts/espeak-wasm.js";
import { concatBytes } from "../../../actors/wav.js";
import { rmsS16 } from "../../../actors/stt/vad.js";

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

describe("EspeakTts", () => {
  let tts: EspeakTts;
  beforeAll(async () => {
    tts = new EspeakTts({ chunkMs: 100 });
    await tts.start();
  }, 30_000);
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
    const ms = pcmDurationMs(pcm.byteLength, ESPEAK_PCM);
    const expected = text.length * 60;
    expect(ms).toBeGreaterThan(expected * 0.3);
    expect(ms).toBeLessThan(expected * 3);
    expect(rmsS16(pcm)).toBeGreaterThan(0.02);
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

  it("stops when aborted mid-stream: nothing arrives after the abort", async () => {
    const controller = new AbortController();
    const received: Uint8Array[] = [];
    let caught: unknown = null;
    try {
      for await (const chunk of tts.synthesize("This sentence is long enough to need many chunks of audio to play.", { signal: controller.signal })) {
        received.push(chunk);
        if (received.length === 2) controller.abort();
      }
    } catch (err) {
      caught = err;
    }
    expect(isAbortError(caught)).toBe(true);
    expect(received.length).toBe(2);
  });

  it("rejects at once when aborted while the sentence is being synthesised, and the worker stays usable", async () => {
    const controller = new AbortController();
    const iterator = tts.synthesize("A sentence that is aborted before its audio comes back.", { signal: controller.signal })[Symbol.asyncIterator]();
    const first = iterator.next();
    controller.abort();
    await expect(first).rejects.toMatchObject({ name: "AbortError" });
    const after = await collect(tts.synthesize("Still working.", { signal: new AbortController().signal }));
    expect(after.length).toBeGreaterThan(0);
    expect(tts.stats.workerStarts).toBe(1);
  });

  it("throws AbortError without synthesising when the signal is already aborted", async () => {
    const before = tts.stats.sentences;
    const controller = new AbortController();
    controller.abort();
    await expect(collect(tts.synthesize("Never spoken.", { signal: controller.signal }))).rejects.toMatchObject({ name: "AbortError" });
    expect(tts.stats.sentences).toBe(before);
  });

  it("yields nothing for blank text", async () => {
    expect(await collect(tts.synthesize("  \n ", { signal: new AbortController().signal }))).toEqual([]);
  });

  it("reports an unknown voice as EngineError engine_error", async () => {
    const bad = new EspeakTts({ voice: "xx-nosuchvoice" });
    try {
      const err = await collect(bad.synthesize("Hello.", { signal: new AbortController().signal })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).code).toBe("engine_error");
      expect((err as EngineError).message).toBe("eSpeak NG failed: The specified espeak-ng voice does not exist.");
    } finally {
      await bad.close();
    }
  }, 30_000);

  it("changes the audio with rate and pitch", async () => {
    const fast = new EspeakTts({ rate: 350, pitch: 80 });
    try {
      const signal = new AbortController().signal;
      const text = "Speaking rate changes the length of the audio.";
      const slowPcm = concatBytes(...(await collect(tts.synthesize(text, { signal }))));
      const fastPcm = concatBytes(...(await collect(fast.synthesize(text, { signal }))));
      expect(fastPcm.byteLength).toBeLessThan(slowPcm.byteLength * 0.8);
    } finally {
      await fast.close();
    }
  }, 30_000);

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
