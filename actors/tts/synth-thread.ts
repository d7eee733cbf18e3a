/**
 * One worker thread running an embedded WebAssembly synthesiser (eSpeak NG,
 * Flite): the member of the synthesiser's pool (synth-worker.ts). It loads
 * the WASM once and then synthesises one sentence at a time; the pool never
 * gives it a second sentence before the first is answered.
 *
 * - `SynthThread.start()` resolves once the worker has loaded (or rejects
 *   with `timeout` / `engine_error` and leaves nothing running).
 * - A worker that dies fails the sentence it held and is no longer `alive`
 *   (the pool then replaces it).
 * - Only a sentence in flight keeps the process alive (the worker is
 *   unref'd while idle).
 */
import type { Worker } from "node:worker_threads";
import { EngineError } from "../engine-error.js";
import type { Logger } from "../logger.js";
import { spawnWorker } from "../spawn-worker.js";
import type { WorkerRequest, WorkerResponse } from "./synth-protocol.js";

export interface SynthThreadOptions {
  /** Worker script next to this file, without extension, e.g. "flite-worker". */
  script: string;
  /** Engine name for messages, e.g. "Flite". */
  label: string;
  /** How long the worker may take to load before the start fails with `timeout`. */
  startTimeoutMs: number;
  logger?: Logger | undefined;
}

interface Pending {
  id: number;
  resolve(pcm: Uint8Array): void;
  reject(err: unknown): void;
}

/** One loaded synthesiser in its own worker thread. */
export class SynthThread<S> {
  readonly #worker: Worker;
  readonly #label: string;
  /** How long the worker took to load the WASM (ms). */
  readonly loadMs: number;
  #pending: Pending | null = null;
  #nextId = 1;
  #failure: EngineError | null = null;
  /** Sentences synthesised to completion. */
  sentences = 0;

  private constructor(worker: Worker, options: SynthThreadOptions, loadMs: number) {
    this.#worker = worker;
    this.#label = options.label;
    this.loadMs = loadMs;
    worker.on("message", (message: WorkerResponse) => this.#workerOnMessage(message));
    worker.on("error", (err) => {
      options.logger?.error("synthesiser worker failed", { engine: options.label, error: err.message });
      this.#fail(new EngineError("engine_error", `${options.label} worker failed: ${err.message}`, { cause: err }));
    });
    worker.on("exit", (code) => this.#fail(new EngineError("engine_error", `${options.label} worker exited (code ${code})`)));
  }

  /** Start a worker and wait until its synthesiser has loaded. */
  static start<S>(options: SynthThreadOptions): Promise<SynthThread<S>> {
    const { label, script, startTimeoutMs, logger } = options;
    const worker = spawnWorker(import.meta.url, `./${script}`);
    worker.unref();
    return new Promise<SynthThread<S>>((resolve, reject) => {
      const timer = setTimeout(() => done(new EngineError("timeout", `${label} did not load within ${startTimeoutMs} ms`)), startTimeoutMs);
      timer.unref();
      const onMessage = (message: WorkerResponse) => {
        if (message.type === "ready") done(null, message.loadMs);
        else if (message.type === "fatal") done(new EngineError("engine_error", `${label} failed to load: ${message.message}`));
      };
      const onError = (err: Error) => {
        logger?.error("synthesiser worker failed", { engine: label, error: err.message });
        done(new EngineError("engine_error", `${label} worker failed: ${err.message}`, { cause: err }));
      };
      const onExit = (code: number) => done(new EngineError("engine_error", `${label} worker exited (code ${code})`));
      function done(failure: EngineError | null, loadMs = 0) {
        clearTimeout(timer);
        worker.off("message", onMessage).off("error", onError).off("exit", onExit);
        if (failure !== null) {
          void worker.terminate();
          reject(failure);
          return;
        }
        logger?.info("synthesiser worker ready", { engine: label, loadMs: Math.round(loadMs) });
        resolve(new SynthThread<S>(worker, options, loadMs));
      }
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
    });
  }

  /** False once the worker died or was closed. */
  get alive(): boolean {
    return this.#failure === null;
  }

  /** Synthesise one sentence; resolves with its PCM when the worker answers. One at a time. */
  synthesize(text: string, settings: S): Promise<Uint8Array> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#pending) return Promise.reject(new Error(`the ${this.#label} worker is already synthesising`));
    const id = this.#nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#pending = { id, resolve, reject };
      this.#worker.ref();
      const request: WorkerRequest<S> = { type: "synthesize", id, text, settings };
      this.#worker.postMessage(request);
    });
  }

  /** Terminate the worker; a sentence in flight fails with `reason`. */
  async close(reason: EngineError = new EngineError("engine_error", `the ${this.#label} engine was closed`)): Promise<void> {
    if (this.#failure) return;
    this.#fail(reason);
    await this.#worker.terminate();
  }

  #workerOnMessage(message: WorkerResponse): void {
    if (message.type !== "result" && message.type !== "error") return;
    const pending = this.#pending;
    if (pending === null || pending.id !== message.id) return;
    this.#settle();
    if (message.type === "result") {
      this.sentences++;
      pending.resolve(new Uint8Array(message.pcm));
    } else {
      pending.reject(new EngineError(message.code, message.message));
    }
  }

  #settle(): void {
    this.#pending = null;
    this.#worker.unref();
  }

  #fail(failure: EngineError): void {
    if (this.#failure) return;
    this.#failure = failure;
    const pending = this.#pending;
    this.#settle();
    pending?.reject(failure);
  }
}
