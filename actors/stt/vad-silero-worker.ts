/**
 * Worker-thread body of the Silero model (vad-silero.ts). The network
 * (vad-silero-net.ts, plain JavaScript) runs synchronously, so it lives
 * here, off the event loop. Loads the model named in `workerData.path` once,
 * then scores frames in the order they arrive.
 *
 * Messages in:  { id, input: Float32Array, state: Float32Array }
 * Messages out: { type: "ready" } once, then per frame
 *               { type: "score", id, probability, state } or { type: "error", id, message };
 *               { type: "fatal", message } if loading fails (the worker then exits).
 */
import { readFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { SileroNet } from "./vad-silero-net.js";
import { readSileroWeights } from "./vad-silero-onnx.js";
import type { SileroRequest, SileroResponse } from "./vad-silero-protocol.js";

const port = parentPort;
if (port === null) throw new Error("vad-silero-worker must run in a worker thread");
const post = (message: SileroResponse) => port!.postMessage(message);

try {
  const net = new SileroNet(readSileroWeights(readFileSync((workerData as { path: string }).path)));
  // Warm the network once (the JIT compiles its loops) so the first real frame costs what the others do.
  net.run(new Float32Array(576), new Float32Array(256));
  post({ type: "ready" });
  port.on("message", (request: SileroRequest) => {
    try {
      const state = request.state.slice();
      const probability = net.run(request.input, state);
      post({ type: "score", id: request.id, probability, state });
    } catch (err) {
      post({ type: "error", id: request.id, message: err instanceof Error ? err.message : String(err) });
    }
  });
} catch (err) {
  post({ type: "fatal", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
