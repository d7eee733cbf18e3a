/**
 * Benchmark of the shared engines' pools (npm run bench:engine-pools),
 * issue 22: several sessions using one engine at once.
 *
 * 1. Speech synthesis (Flite, the default engine): N sessions each speak an
 *    answer of several sentences, one sentence after the other as a turn
 *    does, all sessions at once, through one FliteTts with a pool of 1
 *    worker (the baseline: what the server had before) and of 2 workers, in
 *    the same process. Printed: wall time, throughput (seconds of audio
 *    made per second), per-session time to first audio (p50, max) and the
 *    waits the pool reported (what latency_trace's tts_queued_ms carries).
 * 2. Start-up: warming one Flite worker against warming all of them, and
 *    what a second worker costs in time and memory (RSS of the process;
 *    workers share it); the same for Silero.
 * 3. Voice-activity detection (Silero): 10 streams of speech fed in 100 ms
 *    chunks, paced in real time as microphones send them, through a model
 *    with 1 and with 2 workers: the time per 100 ms chunk until its frames
 *    are scored, and each frame's wait for a worker (vad_queued_ms). Then
 *    the same streams unpaced: frames scored per second.
 *
 * Prints figures and ratios only; nothing here is asserted. The machine is
 * shared with other work: compare ratios within one run.
 */
import { pcmDurationMs } from "../actors/audio.js";
import { concat, silence, speak, toPcm16 } from "../actors/stt/testing/speech-in-noise.js";
import { SileroModel, SileroVad } from "../actors/stt/vad-silero.js";
import type { VadFrame } from "../actors/stt/vad.js";
import { loadEspeak } from "../actors/tts/espeak-wasm.js";
import { FliteTts } from "../actors/tts/flite.js";
import { availableParallelism, cpus, loadavg } from "node:os";

const ANSWER = [
  "Sure, here is what I found about the weather for tomorrow.",
  "In the morning it will be cloudy with a light breeze from the west.",
  "Around noon the clouds should clear and the temperature will reach nineteen degrees.",
  "In the evening there is a small chance of rain, so you may want to take an umbrella.",
];
const SESSIONS = (process.env.BENCH_SESSIONS ?? "1,2,4,8").split(",").map(Number);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CHUNK_MS = 100;

const fmt = (n: number, digits = 1) => n.toFixed(digits);
function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- 1. synthesis -----------------------------------------------------------------

interface SynthRun {
  wallMs: number;
  /** CPU time of the whole process (all threads) over wall time: cores kept busy. */
  cores: number;
  audioMs: number;
  firstAudioMs: number[];
  waits: number[];
}

/** `sessions` sessions speak ANSWER at once through `tts`. */
async function speakTogether(tts: FliteTts, sessions: number): Promise<SynthRun> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let audioMs = 0;
  const firstAudioMs: number[] = [];
  const waits: number[] = [];
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      const start = performance.now();
      let first = true;
      for (const sentence of ANSWER) {
        for await (const chunk of tts.synthesize(sentence, { signal: new AbortController().signal, onQueued: (ms) => waits.push(ms) })) {
          if (first) firstAudioMs.push(performance.now() - start);
          first = false;
          audioMs += pcmDurationMs(chunk.byteLength, tts.format);
        }
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cores: (cpu.user + cpu.system) / 1000 / wallMs, audioMs, firstAudioMs, waits };
}

const median = (values: number[]) => pct(values, 50);

async function synthesis(): Promise<void> {
  console.log(`\n1. Speech synthesis: Flite rms, ${ANSWER.length} sentences per session, sessions at once; pool of 1 worker (baseline) vs 2, ${ROUNDS} rounds each, interleaved, medians`);
  const engines = { 1: new FliteTts({ poolSize: 1 }), 2: new FliteTts({ poolSize: 2 }) } as const;
  await engines[1].start(1);
  await engines[2].start(2);
  // One untimed round each, so both pools' JITs are warm.
  await speakTogether(engines[1], 2);
  await speakTogether(engines[2], 2);
  console.log("sessions | pool | wall ms | cores busy | audio s made per s | first audio p50 / max ms | waits per round, p50 / max ms | throughput x, first-audio max x (2 vs 1)");
  for (const n of SESSIONS) {
    const runs: Record<1 | 2, SynthRun[]> = { 1: [], 2: [] };
    for (let round = 0; round < ROUNDS; round++) for (const size of [1, 2] as const) runs[size].push(await speakTogether(engines[size], n));
    const summary = (size: 1 | 2) => {
      const r = runs[size];
      const waited = r.flatMap((x) => x.waits.filter((w) => w > 0));
      return {
        wallMs: median(r.map((x) => x.wallMs)),
        cores: median(r.map((x) => x.cores)),
        rate: median(r.map((x) => x.audioMs / x.wallMs)),
        firstP50: median(r.map((x) => median(x.firstAudioMs))),
        firstMax: median(r.map((x) => Math.max(...x.firstAudioMs))),
        waits: waited.length / r.length,
        waitP50: median(waited),
        waitMax: waited.length ? Math.max(...waited) : NaN,
      };
    };
    const base = summary(1);
    for (const size of [1, 2] as const) {
      const f = summary(size);
      const ratio = size === 2 ? ` | ${fmt(f.rate / base.rate, 2)}x, ${fmt(f.firstMax / base.firstMax, 2)}x` : "";
      console.log(
        `${String(n).padStart(8)} | ${size}    | ${fmt(f.wallMs, 0).padStart(7)} | ${fmt(f.cores, 2).padStart(10)} | ${fmt(f.rate, 1).padStart(18)} | ${fmt(f.firstP50, 0)} / ${fmt(f.firstMax, 0)} | ${fmt(f.waits, 1)}, ${f.waits ? `${fmt(f.waitP50, 0)} / ${fmt(f.waitMax, 0)}` : "-"}${ratio}`,
      );
    }
  }
  for (const e of Object.values(engines)) await e.close();
}

// --- 2. start-up ------------------------------------------------------------------

async function startup(): Promise<void> {
  console.log("\n2. Start-up: a Flite pool of 2 warming one worker, then the second (what growing costs); three fresh engines, medians");
  const one: number[] = [];
  const second: number[] = [];
  const both: number[] = [];
  const rssSecond: number[] = [];
  for (let i = 0; i < 3; i++) {
    const tts = new FliteTts({ poolSize: 2 });
    let t0 = performance.now();
    await tts.start(1);
    one.push(performance.now() - t0);
    globalThis.gc?.();
    const rss0 = process.memoryUsage().rss;
    t0 = performance.now();
    await tts.start(2);
    second.push(performance.now() - t0);
    globalThis.gc?.();
    rssSecond.push(process.memoryUsage().rss - rss0);
    await tts.close();
    const fresh = new FliteTts({ poolSize: 2 });
    t0 = performance.now();
    await fresh.start(2);
    both.push(performance.now() - t0);
    await fresh.close();
    await sleep(200);
  }
  console.log(`  warm 1 worker: ready in ${fmt(median(one), 0)} ms; a second worker then: ${fmt(median(second), 0)} ms more, RSS +${fmt(median(rssSecond) / 1048576, 0)} MB`);
  console.log(`  warm both at once: ready in ${fmt(median(both), 0)} ms (${fmt(median(both) / median(one), 2)}x one)`);
  const sileroOne: number[] = [];
  const sileroSecond: number[] = [];
  const sileroRss: number[] = [];
  for (let i = 0; i < 3; i++) {
    let t0 = performance.now();
    const model = await SileroModel.load(undefined, { workers: 2 });
    sileroOne.push(performance.now() - t0);
    globalThis.gc?.();
    const rss0 = process.memoryUsage().rss;
    t0 = performance.now();
    await model.warm(2);
    sileroSecond.push(performance.now() - t0);
    globalThis.gc?.();
    sileroRss.push(process.memoryUsage().rss - rss0);
    await model.close();
  }
  console.log(`  Silero: one worker loaded in ${fmt(median(sileroOne), 0)} ms; a second then: ${fmt(median(sileroSecond), 0)} ms more, RSS +${fmt(median(sileroRss) / 1048576, 0)} MB`);
}

// --- 3. voice-activity detection ----------------------------------------------------

async function vad(): Promise<void> {
  const synth = await loadEspeak();
  const lines = ["Set a timer for ten minutes.", "What is the weather like tomorrow?", "Turn the lights off in the kitchen.", "Play some music please."];
  const streams = Array.from({ length: STREAMS }, (_, i) =>
    toPcm16(concat([silence(300 + 97 * i), speak(synth, lines[i % lines.length]!, { voice: i % 2 ? "en-gb" : "en-us" }), silence(800)])),
  );
  const chunkBytes = (16000 * 2 * CHUNK_MS) / 1000;
  const seconds = streams.reduce((n, s) => n + s.byteLength, 0) / 32000;
  console.log(`\n3. Voice-activity detection: Silero, ${STREAMS} streams (${fmt(seconds, 1)} s of audio), ${CHUNK_MS} ms chunks; 1 worker (baseline) vs 2`);
  const results: Record<number, { chunk: number[]; waits: number[]; fps: number }> = {};
  for (const workers of [1, 2]) {
    const model = await SileroModel.load(undefined, { workers });
    await model.warm(workers);
    // Paced: every stream sends a chunk every CHUNK_MS, like a microphone.
    const chunk: number[] = [];
    const waits: number[] = [];
    await Promise.all(
      streams.map(async (pcm, i) => {
        const detector = new SileroVad(model, {}, undefined, { onFrame: (f: VadFrame) => waits.push(f.queuedMs ?? 0) });
        await sleep((i * CHUNK_MS) / STREAMS);
        const t0 = performance.now();
        for (let at = 0, k = 0; at < pcm.byteLength; at += chunkBytes, k++) {
          const due = t0 + k * CHUNK_MS;
          const now = performance.now();
          if (due > now) await sleep(due - now);
          const s = performance.now();
          await detector.push(pcm.subarray(at, at + chunkBytes));
          chunk.push(performance.now() - s);
        }
      }),
    );
    // Unpaced: as fast as the workers go.
    const t0 = performance.now();
    let frames = 0;
    await Promise.all(
      streams.map(async (pcm) => {
        const detector = new SileroVad(model, {}, undefined, { onFrame: () => frames++ });
        for (let at = 0; at < pcm.byteLength; at += chunkBytes) await detector.push(pcm.subarray(at, at + chunkBytes));
      }),
    );
    results[workers] = { chunk, waits, fps: frames / ((performance.now() - t0) / 1000) };
    await model.close();
  }
  console.log("workers | per 100 ms chunk until scored, p50 / p95 / max ms | frame wait for a worker, p50 / p95 / max ms (share that waited) | unpaced frames/s");
  for (const workers of [1, 2]) {
    const r = results[workers]!;
    const waited = r.waits.filter((w) => w > 0).length / r.waits.length;
    console.log(
      `${String(workers).padStart(7)} | ${fmt(pct(r.chunk, 50), 2)} / ${fmt(pct(r.chunk, 95), 2)} / ${fmt(Math.max(...r.chunk), 1)} | ${fmt(pct(r.waits, 50), 3)} / ${fmt(pct(r.waits, 95), 2)} / ${fmt(Math.max(...r.waits), 1)} (${fmt(waited * 100, 0)} %) | ${fmt(r.fps, 0)}`,
    );
  }
  const [one, two] = [results[1]!, results[2]!];
  console.log(`ratios 2 vs 1 workers: chunk p95 ${fmt(pct(two.chunk, 95) / pct(one.chunk, 95), 2)}x, unpaced frames/s ${fmt(two.fps / one.fps, 2)}x`);
}

console.log(`Engine pools, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"})`);
const load = () => `load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`;
console.log(`start: ${load()}`);
await synthesis();
await startup();
await vad();
console.log(`end: ${load()}`);
