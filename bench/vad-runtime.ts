/**
 * Silero VAD's cost per 32 ms frame on each way of running it (npm run
 * bench:vad-runtime), side by side in one process on the same frames and
 * the same model file (models/silero_vad_v5.onnx):
 *
 * - the JavaScript network Coda runs (actors/stt/vad-silero-net.ts);
 * - onnxruntime-web's WebAssembly build (a development dependency);
 * - onnxruntime-node's native CPU library, what Coda ran before, when it
 *   can be loaded: installed here (`npm install --no-save onnxruntime-node`)
 *   or in the node_modules of the tree BENCH_ORT_NODE_FROM names.
 *
 * Each runtime scores BENCH_FRAMES frames (default 2000) of speech-like
 * audio one after the other, carrying the recurrent state as the detector
 * does, after 200 warm-up frames; five blocks per runtime, interleaved
 * across runtimes, median of the per-block mean. Also the real-time factor (cost / 32 ms) and the ratio to
 * onnxruntime-node. This is the cost inside the Silero worker thread; the
 * event loop's share is measured by bench:vad. Nothing is asserted.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { SILERO_INPUT, SILERO_STATE, SileroNet } from "../actors/stt/vad-silero-net.js";
import { readSileroWeights } from "../actors/stt/vad-silero-onnx.js";
import { sileroModelPath } from "../actors/stt/vad-silero.js";

type Score = (input: Float32Array, state: Float32Array) => Promise<number> | number;
interface OrtLike {
  InferenceSession: { create(model: Uint8Array | string, options?: object): Promise<{ run(feeds: object): Promise<Record<string, { data: unknown }>> }> };
  Tensor: new (type: string, data: unknown, dims: number[]) => unknown;
}

const FRAMES = Number(process.env.BENCH_FRAMES ?? 2000);
const file = readFileSync(sileroModelPath());

/** Speech-like input: a few harmonics with a moving pitch and some noise. */
function frames(count: number): Float32Array[] {
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const out: Float32Array[] = [];
  for (let f = 0; f < count; f++) {
    const frame = new Float32Array(SILERO_INPUT);
    const pitch = 110 + 40 * Math.sin(f / 15);
    for (let i = 0; i < SILERO_INPUT; i++) {
      const t = (f * 512 + i) / 16_000;
      frame[i] = 0.1 * (Math.sin(2 * Math.PI * pitch * t) + 0.5 * Math.sin(4 * Math.PI * pitch * t)) * (f % 40 < 25 ? 1 : 0.05) + 0.005 * noise();
    }
    out.push(frame);
  }
  return out;
}

function ortScore(ort: OrtLike, session: Awaited<ReturnType<OrtLike["InferenceSession"]["create"]>>): Score {
  const sr = new ort.Tensor("int64", BigInt64Array.from([16_000n]), []);
  return async (input, state) => {
    const out = await session.run({ input: new ort.Tensor("float32", input, [1, SILERO_INPUT]), state: new ort.Tensor("float32", state.slice(), [2, 1, 128]), sr });
    state.set(out.stateN!.data as Float32Array);
    return (out.output!.data as Float32Array)[0]!;
  };
}

async function runtimes(): Promise<{ name: string; score: Score }[]> {
  const list: { name: string; score: Score }[] = [];
  const net = new SileroNet(readSileroWeights(file));
  list.push({ name: "javascript (Coda)", score: (input, state) => net.run(input, state) });
  const web = (await import("onnxruntime-web")) as unknown as OrtLike & { env: { wasm: { numThreads: number } } };
  web.env.wasm.numThreads = 1;
  list.push({ name: "onnxruntime-web (wasm)", score: ortScore(web, await web.InferenceSession.create(file)) });
  const from = process.env.BENCH_ORT_NODE_FROM ? join(resolve(process.env.BENCH_ORT_NODE_FROM), "package.json") : import.meta.url;
  try {
    const node = createRequire(from)("onnxruntime-node") as OrtLike;
    const session = await node.InferenceSession.create(sileroModelPath(), { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "all" });
    list.push({ name: "onnxruntime-node (before)", score: ortScore(node, session) });
  } catch (err) {
    console.error(`onnxruntime-node not measured (${(err as Error).message.split("\n")[0]}); install it with npm install --no-save onnxruntime-node or set BENCH_ORT_NODE_FROM`);
  }
  return list;
}

const input = frames(FRAMES);
const list = await runtimes();
const states = list.map(() => new Float32Array(SILERO_STATE));
for (const [i, { score }] of list.entries()) for (let f = 0; f < 200; f++) await score(input[f % input.length]!, states[i]!);
// Blocks interleaved across runtimes, so that a change in machine load touches every runtime alike.
const blocks = list.map(() => [] as number[]);
for (let block = 0; block < 5; block++) {
  for (const [i, { score }] of list.entries()) {
    const state = states[i]!.fill(0);
    const started = performance.now();
    for (const frame of input) await score(frame, state);
    blocks[i]!.push((performance.now() - started) / input.length);
  }
}
const results = list.map(({ name }, i) => ({ runtime: name, ms_per_frame: [...blocks[i]!].sort((a, b) => a - b)[2]! }));
const reference = results.find((r) => r.runtime.startsWith("onnxruntime-node"))?.ms_per_frame;
for (const r of results) {
  console.log(JSON.stringify({ ...r, ms_per_frame: Math.round(r.ms_per_frame * 1000) / 1000, real_time_factor: Math.round((r.ms_per_frame / 32) * 10000) / 10000, vs_onnxruntime_node: reference ? Math.round((r.ms_per_frame / reference) * 100) / 100 : null }));
}
