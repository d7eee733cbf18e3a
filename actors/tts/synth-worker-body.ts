/**
 * The worker-thread side of an embedded WebAssembly synthesiser (eSpeak NG,
 * Flite): loads the synthesiser once, then answers one `synthesize` request
 * at a time. The host (synth-worker.ts) never sends a second request before
 * the first is answered, so there is no queue here. The PCM buffer is
 * transferred, not copied.
 *
 * Messages in:  { type: "synthesize", id, text, settings }
 * Messages out: { type: "ready", loadMs } once, then per request
 *               { type: "result", id, pcm: ArrayBuffer, synthMs } or
 *               { type: "error", id, code, message };
 *               { type: "fatal", message } if loading fails (the worker then exits).
 */
import { parentPort } from "node:worker_threads";
import { EngineError } from "../engine-error.js";
import type { WorkerRequest, WorkerResponse } from "./synth-protocol.js";

/** A loaded synthesiser: blocks its thread while it synthesises. */
export interface BlockingSynth<S> {
  synthesize(text: string, settings: S): Uint8Array;
}

/** Serve `load()`'s synthesiser on this worker's parent port. Call once, from a worker script. */
export async function serveSynth<S>(load: () => Promise<BlockingSynth<S>>): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("a synthesiser worker must run in a worker thread");
  const post = (message: WorkerResponse, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const started = performance.now();
  let synth: BlockingSynth<S>;
  try {
    synth = await load();
  } catch (err) {
    post({ type: "fatal", message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  post({ type: "ready", loadMs: performance.now() - started });
  port.on("message", (request: WorkerRequest<S>) => {
    const t0 = performance.now();
    try {
      const pcm = synth.synthesize(request.text, request.settings);
      const buffer = pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength) as ArrayBuffer;
      post({ type: "result", id: request.id, pcm: buffer, synthMs: performance.now() - t0 }, [buffer]);
    } catch (err) {
      const code = err instanceof EngineError ? err.code : "engine_error";
      post({ type: "error", id: request.id, code, message: err instanceof Error ? err.message : String(err) });
    }
  });
}
