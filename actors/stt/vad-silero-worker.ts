/**
 * Worker-thread body of the Silero model (vad-silero.ts). onnxruntime-node
 * runs a session synchronously on the calling thread (its `run` only defers
 * the call with setImmediate), so the session lives here, off the event
 * loop. Loads the model named in `workerData.path` once, then scores frames
 * in the order they arrive.
 *
 * Messages in:  { id, input: Float32Array, state: Float32Array }
 * Messages out: { type: "ready" } once, then per frame
 *               { type: "score", id, probability, state } or { type: "error", id, message };
 *               { type: "fatal", message } if loading fails (the worker then exits).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { SileroRequest, SileroResponse } from "./vad-silero-protocol.js";

const port = parentPort;
if (port === null) throw new Error("vad-silero-worker must run in a worker thread");
const post = (message: SileroResponse) => port!.postMessage(message);

const RATE = 16_000;

try {
  const ort = await import("onnxruntime-node");
  const path = (workerData as { path: string }).path;
  // One thread: frames are tiny, and the machine's cores belong to the other stages.
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "all" });
  for (const name of ["input", "state", "sr"]) {
    if (!session.inputNames.includes(name)) throw new Error(`input "${name}" missing: not a Silero v5 model`);
  }
  const sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(RATE)]), []);
  post({ type: "ready" });
  port.on("message", (request: SileroRequest) => {
    void session
      .run({
        input: new ort.Tensor("float32", request.input, [1, request.input.length]),
        state: new ort.Tensor("float32", request.state, [2, 1, 128]),
        sr,
      })
      .then(
        (out) => post({ type: "score", id: request.id, probability: (out.output!.data as Float32Array)[0]!, state: out.stateN!.data as Float32Array }),
        (err: unknown) => post({ type: "error", id: request.id, message: err instanceof Error ? err.message : String(err) }),
      );
  });
} catch (err) {
  post({ type: "fatal", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
