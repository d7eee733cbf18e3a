/**
 * The host side of an embedded WebAssembly synthesiser run in one worker
 * thread (eSpeak NG, Flite), so synthesis never blocks the event loop.
 *
 * - The worker is started on first use (or by `start()`), loads the WASM once
 *   and is reused for every sentence; sentences are synthesised one at a time
 *   in request order.
 * - Abort: a sentence still queued is dropped; a sentence already being
 *   synthesised in the worker is not interrupted (the WASM program cannot be
 *   stopped part-way) but its result is ignored and the caller's promise
 *   rejects with the AbortError at once. A sentence costs tens of
 *   milliseconds of worker time, so the worker is free again almost
 *   immediately; terminating it instead would cost the whole load (and the
 *   JIT warm-up) again on the next sentence.
 * - A worker that dies fails the sentence it held; the next request starts a
 *   fresh one.
 * - `close()` terminates the worker and fails anything still pending.
 */
import type { Worker } from "node:worker_threads";
import { spawnWorker } from "../spawn-worker.js";
import type { PcmFormat } from "../audio.js";
import { EngineError } from "../engine-error.js";
import { abortError } from "../http.js";
import type { Logger } from "../logger.js";
import type { WorkerRequest, WorkerResponse } from "./synth-protocol.js";

/** Counters that show the worker is reused (tests, system info, bench). */
export interface SynthWorkerStats {
  /** Workers started so far (1 in normal operation; more only after a crash or close). */
  workerStarts: number;
  /** Sentences synthesised to completion by the worker. */
  sentences: number;
  /** Milliseconds the last worker took to load the WASM, or null before it is ready. */
  loadMs: number | null;
}

export interface SynthWorkerOptions {
  /** Worker script next to this file, without extension, e.g. "flite-worker". */
  script: string;
  /** Engine name for messages, e.g. "Flite". */
  label: string;
  /** How long the worker may take to load before requests fail with `timeout`. */
  startTimeoutMs: number;
  logger?: Logger | undefined;
}

interface Job<S> {
  id: number;
  text: string;
  settings: S;
  signal: AbortSignal;
  resolve(pcm: Uint8Array): void;
  reject(err: unknown): void;
  onAbort(): void;
}

/**
 * One worker thread serving one synthesiser, one sentence at a time.
 * @example
 * const host = new SynthWorker<FliteSettings>({ script: "flite-worker", label: "Flite", startTimeoutMs: 20_000 });
 * const pcm = await host.synthesize("Hello.", { voice: "slt" }, signal);
 */
export class SynthWorker<S> {
  readonly #options: SynthWorkerOptions;
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  #queue: Job<S>[] = [];
  #current: Job<S> | null = null;
  #nextId = 1;
  #closed = false;
  #stats: SynthWorkerStats = { workerStarts: 0, sentences: 0, loadMs: null };

  constructor(options: SynthWorkerOptions) {
    this.#options = options;
  }

  get stats(): SynthWorkerStats {
    return { ...this.#stats };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The error every call fails with once closed. */
  closedError(): EngineError {
    return new EngineError("engine_error", `the ${this.#options.label} engine is closed`);
  }

  /** Start the worker and wait until the WASM is loaded (optional: the first request does it too). */
  start(): Promise<void> {
    if (this.#closed) return Promise.reject(this.closedError());
    return this.#ensureWorker();
  }

  /** Synthesise `text` in the worker; rejects with the AbortError as soon as `signal` aborts. */
  synthesize(text: string, settings: S, signal: AbortSignal): Promise<Uint8Array> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (this.#closed) return Promise.reject(this.closedError());
    return new Promise<Uint8Array>((resolve, reject) => {
      const job: Job<S> = {
        id: this.#nextId++,
        text,
        settings,
        signal,
        resolve,
        reject,
        onAbort: () => {
          // Queued: drop it. In flight: leave the worker to finish and ignore its answer.
          const index = this.#queue.indexOf(job);
          if (index >= 0) this.#queue.splice(index, 1);
          reject(abortError(signal));
        },
      };
      signal.addEventListener("abort", job.onAbort, { once: true });
      this.#queue.push(job);
      this.#pump();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new EngineError("engine_error", `the ${this.#options.label} engine was closed`));
    const worker = this.#worker;
    this.#worker = null;
    this.#ready = null;
    if (worker !== null) await worker.terminate();
  }

  #pump(): void {
    if (this.#current !== null || this.#queue.length === 0 || this.#closed) return;
    const job = this.#queue.shift()!;
    this.#current = job;
    this.#ensureWorker().then(
      () => {
        if (this.#current !== job || this.#worker === null) return;
        this.#worker.ref();
        const request: WorkerRequest<S> = { type: "synthesize", id: job.id, text: job.text, settings: job.settings };
        this.#worker.postMessage(request);
      },
      (err: unknown) => this.#finish(job, err, null),
    );
  }

  #finish(job: Job<S>, err: unknown, pcm: Uint8Array | null): void {
    job.signal.removeEventListener("abort", job.onAbort);
    if (this.#current === job) this.#current = null;
    // After an abort the promise is already settled; these calls are then no-ops.
    if (pcm !== null) job.resolve(pcm);
    else job.reject(err);
    if (this.#current === null && this.#queue.length === 0) this.#worker?.unref();
    this.#pump();
  }

  #ensureWorker(): Promise<void> {
    if (this.#ready !== null) return this.#ready;
    const { label, script, startTimeoutMs, logger } = this.#options;
    const worker = spawnWorker(import.meta.url, `./${script}`);
    worker.unref();
    this.#worker = worker;
    this.#stats.workerStarts++;
    this.#stats.loadMs = null;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new EngineError("timeout", `${label} did not load within ${startTimeoutMs} ms`));
        this.#discardWorker(worker);
      }, startTimeoutMs);
      timer.unref();
      worker.on("message", (message: WorkerResponse) => {
        if (message.type === "ready") {
          clearTimeout(timer);
          this.#stats.loadMs = message.loadMs;
          logger?.info("synthesiser worker ready", { engine: label, loadMs: Math.round(message.loadMs) });
          resolve();
        } else if (message.type === "fatal") {
          clearTimeout(timer);
          reject(new EngineError("engine_error", `${label} failed to load: ${message.message}`));
        } else {
          this.#workerOnResult(message);
        }
      });
      worker.on("error", (err) => {
        clearTimeout(timer);
        logger?.error("synthesiser worker failed", { engine: label, error: err.message });
        const failure = new EngineError("engine_error", `${label} worker failed: ${err.message}`, { cause: err });
        reject(failure);
        this.#workerOnGone(worker, failure);
      });
      worker.on("exit", (code) => {
        clearTimeout(timer);
        const failure = new EngineError("engine_error", `${label} worker exited (code ${code})`);
        reject(failure);
        this.#workerOnGone(worker, failure);
      });
    });
    this.#ready = ready;
    return ready;
  }

  #workerOnResult(message: Extract<WorkerResponse, { type: "result" | "error" }>): void {
    const job = this.#current;
    if (job === null || job.id !== message.id) return;
    if (message.type === "result") {
      this.#stats.sentences++;
      this.#finish(job, null, new Uint8Array(message.pcm));
    } else {
      this.#finish(job, new EngineError(message.code, message.message), null);
    }
  }

  /** The worker died: fail the sentence it held; the next request starts a fresh worker. */
  #workerOnGone(worker: Worker, failure: EngineError): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#ready = null;
    const job = this.#current;
    if (job !== null) this.#finish(job, failure, null);
  }

  #discardWorker(worker: Worker): void {
    if (this.#worker === worker) {
      this.#worker = null;
      this.#ready = null;
    }
    void worker.terminate();
  }

  #failAll(err: EngineError): void {
    const jobs = [...(this.#current ? [this.#current] : []), ...this.#queue];
    this.#current = null;
    this.#queue = [];
    for (const job of jobs) {
      job.signal.removeEventListener("abort", job.onAbort);
      job.reject(err);
    }
  }
}

/**
 * Yield `pcm` in slices of `chunkBytes`, stopping with the AbortError as
 * soon as `signal` aborts between slices.
 */
export function* slicePcm(pcm: Uint8Array, chunkBytes: number, signal: AbortSignal): Generator<Uint8Array> {
  for (let at = 0; at < pcm.byteLength; at += chunkBytes) {
    if (signal.aborted) throw abortError(signal);
    yield pcm.subarray(at, Math.min(pcm.byteLength, at + chunkBytes));
  }
}

/** Bytes in `chunkMs` of 16-bit mono audio at `sampleRate`: whole samples only, so no sample is split across chunks. */
export function chunkBytesFor(sampleRate: number, chunkMs: number): number {
  return Math.max(2, Math.round((sampleRate * chunkMs) / 1000) * 2);
}

/**
 * A TtsEngine over a SynthWorker: the part eSpeak NG and Flite share
 * (start, stats, chunked output, abort, close). Subclasses give the worker
 * script and the settings of each sentence.
 */
export abstract class WorkerTtsEngine<S> {
  abstract readonly name: string;
  abstract readonly voice: string;
  abstract readonly format: PcmFormat;
  readonly #chunkBytes: number;
  readonly #host: SynthWorker<S>;

  constructor(host: SynthWorkerOptions, sampleRate: number, chunkMs: number) {
    this.#chunkBytes = chunkBytesFor(sampleRate, chunkMs);
    this.#host = new SynthWorker(host);
  }

  /** The settings sent with every sentence. */
  protected abstract settings(): S;

  /** Counters showing worker reuse. */
  get stats(): SynthWorkerStats {
    return this.#host.stats;
  }

  /** Start the worker and wait until the WASM is loaded (optional: the first `synthesize` does it too). */
  start(): Promise<void> {
    return this.#host.start();
  }

  async *synthesize(text: string, { signal }: { signal: AbortSignal }): AsyncGenerator<Uint8Array> {
    if (signal.aborted) throw abortError(signal);
    if (this.#host.closed) throw this.#host.closedError();
    if (!/\S/.test(text)) return;
    const pcm = await this.#host.synthesize(text, this.settings(), signal);
    yield* slicePcm(pcm, this.#chunkBytes, signal);
  }

  close(): Promise<void> {
    return this.#host.close();
  }
}
