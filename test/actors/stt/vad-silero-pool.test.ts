/**
 * The Silero model's worker pool on real speech (eSpeak NG): streams
 * interleaved over several workers keep their own recurrent state (each
 * gives the events it gives alone) while the workers score their frames at
 * the same time; with one worker the frames that wait say so (`queuedMs`);
 * closing fails what comes after. (A worker that dies is dropped and
 * replaced by the pool: test/actors/engine-pool.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { concat, silence, speak, toPcm16 } from "../../../actors/stt/testing/speech-in-noise.js";
import { SileroModel, SileroVad } from "../../../actors/stt/vad-silero.js";
import type { VadEvent, VadFrame } from "../../../actors/stt/vad.js";
import { loadEspeak } from "../../../actors/tts/espeak-wasm.js";

/** Two different streams: "Set a timer for ten minutes." and "What is the weather like tomorrow?" at other offsets. */
let streams: Uint8Array[];

beforeAll(async () => {
  const synth = await loadEspeak();
  streams = [
    toPcm16(concat([silence(1000), speak(synth, "Set a timer for ten minutes."), silence(1000)])),
    toPcm16(concat([silence(400), speak(synth, "What is the weather like tomorrow?"), silence(1200)])),
    toPcm16(concat([silence(700), speak(synth, "Turn the lights off."), silence(900)])),
  ];
}, 60_000);

const CHUNK = 3200;

/** Feed every stream in 100 ms chunks, all streams' chunks in flight together; each detector's events and frames. */
async function interleaved(model: SileroModel, pcms: Uint8Array[]): Promise<{ events: VadEvent[][]; frames: VadFrame[][] }> {
  const frames = pcms.map(() => [] as VadFrame[]);
  const detectors = pcms.map((_, i) => new SileroVad(model, {}, undefined, { onFrame: (f) => frames[i]!.push(f) }));
  const events = pcms.map(() => [] as VadEvent[]);
  const longest = Math.max(...pcms.map((p) => p.byteLength));
  for (let at = 0; at < longest; at += CHUNK) {
    const results = await Promise.all(detectors.map((d, i) => d.push(pcms[i]!.subarray(at, at + CHUNK))));
    results.forEach((r, i) => events[i]!.push(...r));
  }
  return { events, frames };
}

async function alone(model: SileroModel, pcm: Uint8Array): Promise<VadEvent[]> {
  const vad = new SileroVad(model);
  const events: VadEvent[] = [];
  for (let at = 0; at < pcm.byteLength; at += CHUNK) events.push(...(await vad.push(pcm.subarray(at, at + CHUNK))));
  return events;
}

describe("Silero over a pool of workers", () => {
  let model: SileroModel;
  beforeAll(async () => {
    model = await SileroModel.load(undefined, { workers: 3 });
    await model.warm(3);
  }, 90_000);
  afterAll(async () => {
    await model.close();
  });

  it("keeps each stream's state while three workers score three streams' frames at once: each gives what it gives alone", async () => {
    const expected = [];
    for (const pcm of streams) expected.push(await alone(model, pcm));
    for (const e of expected) expect(e.map((x) => x.type)).toEqual(["speech_start", "speech_end"]);
    const { events, frames } = await interleaved(model, streams);
    expect(events).toEqual(expected);
    // One frame per stream in flight, three workers: every frame found a free worker.
    expect(model.stats).toMatchObject({ size: 3, members: 3, peakBusy: 3 });
    for (const f of frames) expect(f.every((x) => x.queuedMs === 0)).toBe(true);
  }, 60_000);
});

describe("Silero with one worker", () => {
  let model: SileroModel;
  beforeAll(async () => {
    model = await SileroModel.load(undefined, { workers: 1 });
  }, 90_000);
  afterAll(async () => {
    await model.close();
  });

  it("serves interleaved streams one frame at a time, with the same results, and the frames that waited say how long", async () => {
    const expected = [];
    for (const pcm of streams.slice(0, 2)) expected.push(await alone(model, pcm));
    const { events, frames } = await interleaved(model, streams.slice(0, 2));
    expect(events).toEqual(expected);
    expect(model.stats).toMatchObject({ size: 1, members: 1, peakBusy: 1 });
    const waited = frames.flat().filter((f) => (f.queuedMs ?? 0) > 0);
    // Two streams on one worker: about every other frame waits for the other stream's.
    expect(waited.length).toBeGreaterThan(frames.flat().length / 4);
  }, 60_000);
});

describe("Silero pool failures", () => {
  it("closing fails the frames that come after with vad_unavailable", async () => {
    const model = await SileroModel.load(undefined, { workers: 2 });
    await model.close();
    await expect(model.score(new Float32Array(576), new Float32Array(256))).rejects.toMatchObject({ name: "EngineError", code: "vad_unavailable", message: "the Silero model was closed" });
    expect(model.failure?.code).toBe("vad_unavailable");
    expect(model.stats.members).toBe(0);
  }, 60_000);
});
