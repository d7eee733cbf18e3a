/**
 * Worker-thread body for the eSpeak NG engine (espeak.ts). Loads the WASM
 * synthesiser once, then answers one `synthesize` request at a time; the
 * host never sends a second request before the first is answered, so there
 * is no queue here. The PCM buffer is transferred, not copied.
 *
 * Messages in:  { type: "synthesize", id, text, voice, rate, pitch }
 * Messages out: { type: "ready", loadMs } once, then per request
 *               { type: "result", id, pcm: ArrayBuffer, synthMs } or
 *               { type: "error", id, code, message };
 *               { type: "fatal", message } if loading fails (the worker then exits).
 */
import { parentPort } from "node:worker_threads";
import { EngineError } from "../engine-error.js";
import { type EspeakSynth, loadEspeak } from "./espeak-wasm.js";
import type { WorkerRequest, WorkerResponse } from "./espeak-protocol.js";

const port = parentPort;
if (port === null) throw new Error("espeak-worker must run in a worker thread");

function post(message: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

const started = performance.now();
let synth: EspeakSynth;
try {
  synth = await loadEspeak();
} catch (err) {
  post({ type: "fatal", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
post({ type: "ready", loadMs: performance.now() - started });

port.on("message", (request: WorkerRequest) => {
  const t0 = performance.now();
  try {
    const pcm = synth.synthesize(request.text, request);
    const buffer = pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength) as ArrayBuffer;
    post({ type: "result", id: request.id, pcm: buffer, synthMs: performance.now() - t0 }, [buffer]);
  } catch (err) {
    const code = err instanceof EngineError ? err.code : "engine_error";
    post({ type: "error", id: request.id, code, message: err instanceof Error ? err.message : String(err) });
  }
});
