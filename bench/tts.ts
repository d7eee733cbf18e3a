/**
 * Benchmark of the embedded speech engines, Flite (the default) and eSpeak
 * NG (npm run bench:tts): worker start-up time, per-sentence synthesis cost,
 * and the longest event-loop stall while a multi-sentence answer is
 * synthesised, with the engine's worker thread versus synthesising on the
 * main thread (the baseline, run in the same process). Target: stall under
 * 20 ms with the worker.
 *
 * Prints figures only; nothing here is asserted.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pcmDurationMs, type PcmFormat } from "../actors/audio.js";
import { EspeakTts } from "../actors/tts/espeak.js";
import { ESPEAK_PCM, loadEspeak } from "../actors/tts/espeak-wasm.js";
import { FliteTts } from "../actors/tts/flite.js";
import { FLITE_PCM, loadFlite } from "../actors/tts/flite-wasm.js";
import type { SynthWorkerStats } from "../actors/tts/synth-worker.js";
import type { TtsEngine } from "../actors/tts/types.js";

const ANSWER = [
  "Sure, here is what I found about the weather for tomorrow.",
  "In the morning it will be cloudy with a light breeze from the west.",
  "Around noon the clouds should clear and the temperature will reach nineteen degrees.",
  "In the evening there is a small chance of rain, so you may want to take an umbrella.",
  "The week after looks warmer, with sunshine almost every day.",
  "Would you like me to set a reminder to check the forecast again tomorrow morning?",
  "I can also tell you the time of sunrise and sunset if that helps.",
  "Just ask whenever you are ready.",
];
const ROUNDS = 3;

function histogram() {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  return {
    stop(): { maxMs: number; p99Ms: number } {
      h.disable();
      return { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
    },
  };
}

const fmt = (n: number) => n.toFixed(1).padStart(8);

/**
 * Time the start (`start` resolves with how to speak a sentence), then ROUNDS
 * rounds of ANSWER through `speak` (resolves with the PCM bytes made),
 * watching the event loop for stalls throughout. With `yieldBetween` the
 * loop runs between sentences (untimed), as a streaming pipeline would let
 * it after a synchronous synthesis.
 */
async function measure(start: () => Promise<(sentence: string) => Promise<number>>, format: () => PcmFormat, yieldBetween = false) {
  const startH = histogram();
  const t0 = performance.now();
  const speak = await start();
  const startMs = performance.now() - t0;
  const startStall = startH.stop();
  const perSentence: number[] = [];
  let audioMs = 0;
  let maxMs = 0;
  let p99Ms = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const h = histogram();
    for (const sentence of ANSWER) {
      const s0 = performance.now();
      const bytes = await speak(sentence);
      perSentence.push(performance.now() - s0);
      audioMs += pcmDurationMs(bytes, format());
      if (yieldBetween) await new Promise((resolve) => setImmediate(resolve));
    }
    const stall = h.stop();
    maxMs = Math.max(maxMs, stall.maxMs);
    p99Ms = Math.max(p99Ms, stall.p99Ms);
  }
  return { startMs, startStallMs: startStall.maxMs, perSentence, audioMs, maxMs, p99Ms };
}

async function benchWorker(tts: TtsEngine & { start(): Promise<void>; readonly stats: SynthWorkerStats }) {
  const figures = await measure(
    async () => {
      await tts.start();
      return async (sentence) => {
        let bytes = 0;
        for await (const chunk of tts.synthesize(sentence, { signal: new AbortController().signal })) bytes += chunk.byteLength;
        return bytes;
      };
    },
    () => tts.format,
  );
  const stats = tts.stats;
  await tts.close();
  return { ...figures, loadMs: stats.loadMs ?? NaN, workerStarts: stats.workerStarts };
}

async function benchMainThread(load: () => Promise<(text: string) => Uint8Array>, format: PcmFormat) {
  return measure(
    async () => {
      const synthesize = await load();
      return async (sentence) => synthesize(sentence).byteLength;
    },
    () => format,
    true,
  );
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `mean ${mean.toFixed(1)} ms, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;
}

const chars = ANSWER.join(" ").length * ROUNDS;
console.log(`Embedded speech engines: ${ANSWER.length} sentences x ${ROUNDS} rounds, ${chars} characters, node ${process.version}`);

async function report(label: string, worker: Awaited<ReturnType<typeof benchWorker>>, main: Awaited<ReturnType<typeof benchMainThread>>) {
  console.log("");
  console.log(label);
  console.log("start-up");
  console.log(`  worker:      ${fmt(worker.startMs)} ms until ready (WASM load inside the worker ${worker.loadMs.toFixed(1)} ms), longest loop stall ${worker.startStallMs.toFixed(1)} ms`);
  console.log(`  main thread: ${fmt(main.startMs)} ms, longest loop stall ${main.startStallMs.toFixed(1)} ms`);
  console.log("per sentence (wall time to all PCM)");
  console.log(`  worker:      ${summary(worker.perSentence)}; real-time factor ${(worker.perSentence.reduce((a, b) => a + b, 0) / worker.audioMs).toFixed(3)}`);
  console.log(`  main thread: ${summary(main.perSentence)}; real-time factor ${(main.perSentence.reduce((a, b) => a + b, 0) / main.audioMs).toFixed(3)}`);
  console.log("longest event-loop stall while the answer is synthesised");
  console.log(`  worker:      max ${fmt(worker.maxMs)} ms, p99 ${worker.p99Ms.toFixed(1)} ms   (target < 20 ms: ${worker.maxMs < 20 ? "met" : "NOT met"})`);
  console.log(`  main thread: max ${fmt(main.maxMs)} ms, p99 ${main.p99Ms.toFixed(1)} ms   (baseline)`);
  console.log(`  ratio baseline/worker: ${(main.maxMs / worker.maxMs).toFixed(1)}x`);
  console.log(`workers started: ${worker.workerStarts} (reused for all ${ANSWER.length * ROUNDS} sentences)`);
}

await report(
  "Flite, voice rms (default engine)",
  await benchWorker(new FliteTts({ voice: "rms" })),
  await benchMainThread(async () => {
    const synth = await loadFlite();
    return (text) => synth.synthesize(text, { voice: "rms" });
  }, FLITE_PCM),
);
await report(
  "eSpeak NG, voice en-us",
  await benchWorker(new EspeakTts()),
  await benchMainThread(async () => {
    const synth = await loadEspeak();
    return (text) => synth.synthesize(text, { voice: "en-us", rate: 175, pitch: 50 });
  }, ESPEAK_PCM),
);
