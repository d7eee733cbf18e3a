/**
 * Shared steps of the speech-engine tests: checking PCM is speech-like,
 * aborting a sentence after its n-th chunk recording what arrived, and the
 * cancellation tests every worker-thread engine must pass.
 */
import { expect, it } from "vitest";
import { pcmDurationMs, type PcmFormat } from "../../../actors/audio.js";
import { rmsS16 } from "../../../actors/stt/vad.js";
import { isAbortError } from "../../../actors/engine-error.js";
import type { SynthWorkerStats } from "../../../actors/tts/synth-worker.js";
import type { TtsEngine } from "../../../actors/tts/types.js";
import { collect } from "../../helpers/iterables.js";
import { until } from "../../helpers/wait.js";


/** `pcm` sounds like `text` spoken: 0.3 to 3 times 60 ms a character long, and not silent. */
export function expectPlausibleSpeech(pcm: Uint8Array, format: PcmFormat, text: string): void {
  const ms = pcmDurationMs(pcm.byteLength, format);
  const expected = text.length * 60;
  expect(ms).toBeGreaterThan(expected * 0.3);
  expect(ms).toBeLessThan(expected * 3);
  expect(rmsS16(pcm)).toBeGreaterThan(0.02);
}

/** Synthesise `text`, abort right after the `n`-th chunk, and report the chunks received and what was thrown. */
export async function abortAfterChunks(tts: TtsEngine, text: string, n: number): Promise<{ received: Uint8Array[]; caught: unknown }> {
  const controller = new AbortController();
  const received: Uint8Array[] = [];
  let caught: unknown = null;
  try {
    for await (const chunk of tts.synthesize(text, { signal: controller.signal })) {
      received.push(chunk);
      if (received.length === n) controller.abort();
    }
  } catch (err) {
    caught = err;
  }
  return { received, caught };
}

/**
 * The cancellation behaviour every worker-thread engine (eSpeak NG, Flite)
 * shares, as `it` blocks for the calling `describe`; `engine()` returns its
 * started engine.
 */
export function itCancelsLikeAWorkerEngine(engine: () => TtsEngine & { readonly stats: SynthWorkerStats }): void {
  it("stops when aborted mid-stream: nothing arrives after the abort", async () => {
    const { received, caught } = await abortAfterChunks(engine(), "This sentence is long enough to need many chunks of audio to play.", 2);
    expect(isAbortError(caught)).toBe(true);
    expect(received.length).toBe(2);
  });

  it("rejects at once when aborted while the sentence is being synthesised, and the worker stays usable", async () => {
    const tts = engine();
    const controller = new AbortController();
    const iterator = tts.synthesize("A sentence that is aborted before its audio comes back.", { signal: controller.signal })[Symbol.asyncIterator]();
    const first = iterator.next();
    controller.abort();
    await expect(first).rejects.toMatchObject({ name: "AbortError" });
    const after = await collect(tts.synthesize("Still working.", { signal: new AbortController().signal }));
    expect(after.length).toBeGreaterThan(0);
    // No worker was lost: the aborted sentence's worker finished it (another may have started for "Still working." meanwhile)...
    expect(tts.stats.workerStarts).toBe(tts.stats.members + tts.stats.starting);
    await until(() => tts.stats.busy === 0 && tts.stats.starting === 0, "the aborted sentence's worker to be free", 30_000);
    // ...and serves again, without a restart.
    const starts = tts.stats.workerStarts;
    expect((await collect(tts.synthesize("Once more.", { signal: new AbortController().signal }))).length).toBeGreaterThan(0);
    expect(tts.stats.workerStarts).toBe(starts);
  });

  it("yields nothing for blank text, and throws AbortError without synthesising when the signal is already aborted", async () => {
    const tts = engine();
    expect(await collect(tts.synthesize("  \n ", { signal: new AbortController().signal }))).toEqual([]);
    const before = tts.stats.sentences;
    await expect(collect(tts.synthesize("Never spoken.", { signal: AbortSignal.abort() }))).rejects.toMatchObject({ name: "AbortError" });
    expect(tts.stats.sentences).toBe(before);
  });
}
