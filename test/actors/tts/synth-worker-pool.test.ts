/**
 * The embedded synthesiser's worker pool, on the real Flite engine: two
 * sentences asked for at once are synthesised at the same time by two
 * workers, neither waiting; with one worker the second waits and says how
 * long; a second worker starts only when a sentence finds the first busy;
 * aborting a queued sentence drops it unsynthesised; close() fails what is
 * queued or running and stops every worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineError, isAbortError } from "../../../actors/engine-error.js";
import { FliteTts } from "../../../actors/tts/flite.js";
import { FLITE_PCM } from "../../../actors/tts/flite-wasm.js";
import { concatBytes } from "../../../actors/wav.js";
import { collect, settle } from "../../helpers/iterables.js";
import { until } from "../../helpers/wait.js";
import { expectPlausibleSpeech } from "./engine-checks.js";

const LONG = "This sentence is long enough that its synthesis takes a while, so that another one can arrive while it is being made.";
const SHORT = "Then a short one.";

/** Synthesise `text`, recording the wait the engine reports; resolves with the PCM. */
async function speak(tts: FliteTts, text: string, waits: number[], signal = new AbortController().signal): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of tts.synthesize(text, { signal, onQueued: (ms) => waits.push(ms) })) chunks.push(chunk);
  return concatBytes(...chunks);
}

describe("a Flite pool of two workers", () => {
  let tts: FliteTts;
  beforeAll(async () => {
    tts = new FliteTts({ poolSize: 2, startTimeoutMs: 60_000 });
    await tts.start(2);
  }, 120_000);
  afterAll(async () => {
    await tts.close();
  });

  it("synthesises two sentences asked for at once side by side: both busy together, neither waits", async () => {
    const before = tts.stats;
    expect(before).toMatchObject({ size: 2, members: 2, busy: 0 });
    const waitsA: number[] = [];
    const waitsB: number[] = [];
    const [a, b] = await Promise.all([speak(tts, LONG, waitsA), speak(tts, LONG, waitsB)]);
    expectPlausibleSpeech(a, FLITE_PCM, LONG);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect([waitsA, waitsB]).toEqual([[0], [0]]);
    expect(tts.stats).toMatchObject({ peakBusy: 2, workerStarts: 2, sentences: before.sentences + 2, waits: before.waits });
  }, 60_000);
});

describe("a Flite pool of one worker", () => {
  let tts: FliteTts;
  beforeAll(async () => {
    tts = new FliteTts({ poolSize: 1, startTimeoutMs: 60_000 });
    await tts.start();
  }, 120_000);
  afterAll(async () => {
    await tts.close();
  });

  it("makes the second of two sentences asked for at once wait for the first, and reports the wait", async () => {
    const waitsA: number[] = [];
    const waitsB: number[] = [];
    const order: string[] = [];
    await Promise.all([speak(tts, LONG, waitsA).then(() => order.push("long")), speak(tts, SHORT, waitsB).then(() => order.push("short"))]);
    // The short sentence would be ready first if it had not waited.
    expect(order).toEqual(["long", "short"]);
    expect(waitsA).toEqual([0]);
    expect(waitsB).toHaveLength(1);
    expect(waitsB[0]).toBeGreaterThan(0);
    expect(tts.stats).toMatchObject({ peakBusy: 1, workerStarts: 1, members: 1 });
  }, 60_000);

  it("drops a queued sentence that is aborted: it rejects at once and is never synthesised", async () => {
    const before = tts.stats.sentences;
    const first = speak(tts, LONG, []);
    await until(() => tts.stats.busy === 1, "the first sentence to be in the worker");
    const controller = new AbortController();
    const waits: number[] = [];
    const queued = settle(tts.synthesize(SHORT, { signal: controller.signal, onQueued: (ms) => waits.push(ms) }));
    await until(() => tts.stats.queued === 1, "the second sentence to be queued");
    controller.abort();
    const { items, error } = await queued;
    expect(isAbortError(error)).toBe(true);
    expect(items).toEqual([]);
    expect(tts.stats.queued).toBe(0);
    await first;
    await until(() => tts.stats.busy === 0, "the worker to be free");
    expect(tts.stats.sentences).toBe(before + 1);
    // It never got a worker, so it never heard a wait either.
    expect(waits).toEqual([]);
  }, 60_000);
});

describe("growing and closing a Flite pool", () => {
  it("starts a second worker only when a sentence finds the first busy", async () => {
    const tts = new FliteTts({ poolSize: 2, startTimeoutMs: 60_000 });
    try {
      await tts.start();
      expect(tts.stats).toMatchObject({ members: 1, workerStarts: 1 });
      await collect(tts.synthesize(SHORT, { signal: new AbortController().signal }));
      await collect(tts.synthesize(SHORT, { signal: new AbortController().signal }));
      // One at a time: the first worker was always free.
      expect(tts.stats).toMatchObject({ members: 1, workerStarts: 1 });
      await Promise.all([speak(tts, LONG, []), speak(tts, LONG, [])]);
      expect(tts.stats.workerStarts).toBe(2);
    } finally {
      await tts.close();
    }
  }, 120_000);

  it("close() fails the sentence in the worker and the queued ones with engine_error, and stops every worker", async () => {
    const tts = new FliteTts({ poolSize: 1, startTimeoutMs: 60_000 });
    await tts.start();
    const running = settle(tts.synthesize(LONG, { signal: new AbortController().signal }));
    await until(() => tts.stats.busy === 1, "the sentence to be in the worker");
    const queued = settle(tts.synthesize(SHORT, { signal: new AbortController().signal }));
    await until(() => tts.stats.queued === 1, "the second sentence to be queued");
    await tts.close();
    const [r, q] = await Promise.all([running, queued]);
    expect(r.error).toBeInstanceOf(EngineError);
    expect(r.error).toMatchObject({ code: "engine_error", message: "the Flite engine was closed" });
    expect(q.error).toMatchObject({ code: "engine_error", message: "the Flite engine is closed" });
    expect([r.items, q.items]).toEqual([[], []]);
    expect(tts.stats).toMatchObject({ members: 0, busy: 0, queued: 0 });
  }, 120_000);
});
