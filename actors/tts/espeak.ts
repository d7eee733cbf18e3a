/**
 * The embedded text-to-speech engine: eSpeak NG compiled to WebAssembly (npm
 * package `espeak-ng`), run in one worker thread so synthesis never blocks
 * the event loop. No system install, no network, no model download.
 *
 * - The worker is started on first use (or by `start()`), loads the WASM once
 *   and is reused for every sentence; sentences are synthesised one at a time
 *   in request order.
 * - Output is ESPEAK_PCM (22.05 kHz, s16le, mono), yielded in `chunkMs` slices.
 * - Abort: a sentence still queued is dropped; a sentence already being
 *   synthesised in the worker is not interrupted (eSpeak's `main` cannot be
 *   stopped part-way) but its result is ignored and `synthesize` throws the
 *   AbortError at once. A sentence costs tens of milliseconds of worker time,
 *   so the worker is free again almost immediately; terminating it instead
 *   would cost ~100 ms of reloading on the next sentence.
 * - `close()` terminates the worker and fails anything still pending.
 */
import type { Worker } from "node:worker_threads";
import type { PcmFormat } from "../audio.js";
import { EngineError } from "../engine-error.js";
import { abortError } from "../http.js";
import type { Logger } from "../logger.js";
import { spawnWorker } from "../spawn-worker.js";
import type { WorkerRequest, WorkerResponse } from "./espeak-protocol.js";
import { ESPEAK_PCM } from "./espeak-wasm.js";
import type { TtsEngine } from "./types.js";

/** Options of the eSpeak NG engine; every field has a default. */
export interface EspeakTtsOptions {
  /** eSpeak NG voice, e.g. "en-us", "en-gb", "fr", "en-us+f3" (variant after "+"). Default "en-us". */
  voice?: string;
  /** Words per minute, 80..450. Default 175 (eSpeak's own default). */
  rate?: number;
  /** Pitch, 0..99. Default 50. */
  pitch?: number;
  /** Length of each yielded PCM chunk in milliseconds, 10..2000. Default 100. */
  chunkMs?: number;
  /** How long the worker may take to load the WASM before requests fail with `timeout`. Default 20000. */
  startTimeoutMs?: number;
  logger?: Logger;
}

/** Counters that show the worker is reused (tests, system info, bench). */
export interface EspeakStats {
  /** Workers started so far (1 in normal operation; more only after a crash or close). */
  workerStarts: number;
  /** Sentences synthesised to completion by the worker. */
  sentences: number;
  /** Milliseconds the last worker took to load the WASM, or null before it is ready. */
  loadMs: number | null;
}

interface Job {
  id: number;
  text: string;
  signal: AbortSignal;
  resolve(pcm: Uint8Array): void;
  reject(err: unknown): void;
  onAbort(): void;
}

const VOICE_PATTERN = /^[A-Za-z0-9_\-+/]{1,64}$/;

/**
 * eSpeak NG in a worker thread.
 * @example
 * const tts = new EspeakTts({ voice: "en-gb", rate: 160 });
 * for await (const pcm of tts.synthesize("Hello.", { signal })) speaker.write(pcm);
 * await tts.close();
 */
export class EspeakTts implements TtsEngine {
  readonly name = "espeak-ng";
  readonly voice: string;
  readonly format: PcmFormat = ESPEAK_PCM;
  readonly rate: number;
  readonly pitch: number;
  readonly #chunkBytes: number;
  readonly #startTimeoutMs: number;
  readonly #logger: Logger | undefined;
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  #queue: Job[] = [];
  #current: Job | null = null;
  #nextId = 1;
  #closed = false;
  #stats: EspeakStats = { workerStarts: 0, sentences: 0, loadMs: null };

  constructor(options: EspeakTtsOptions = {}) {
    this.voice = options.voice ?? "en-us";
    this.rate = options.rate ?? 175;
    this.pitch = options.pitch ?? 50;
    const chunkMs = options.chunkMs ?? 100;
    this.#startTimeoutMs = options.startTimeoutMs ?? 20_000;
    this.#logger = options.logger;
    if (!VOICE_PATTERN.test(this.voice)) throw new TypeError(`espeak voice "${this.voice}" is not a valid voice name`);
    if (!Number.isInteger(this.rate) || this.rate < 80 || this.rate > 450) throw new TypeError("espeak rate must be an integer from 80 to 450 (words per minute)");
    if (!Number.isInteger(this.pitch) || this.pitch < 0 || this.pitch > 99) throw new TypeError("espeak pitch must be an integer from 0 to 99");
    if (!(chunkMs >= 10 && chunkMs <= 2000)) throw new TypeError("espeak chunkMs must be between 10 and 2000");
    // Whole samples only: an odd byte count would split a sample across chunks.
    this.#chunkBytes = Math.max(2, Math.round((ESPEAK_PCM.sample_rate * chunkMs) / 1000) * 2);
  }

  /** Counters showing worker reuse. */
  get stats(): EspeakStats {
    return { ...this.#stats };
  }

  /** Start the worker and wait until the WASM is loaded (optional: the first `synthesize` does it too). */
  start(): Promise<void> {
    if (this.#closed) return Promise.reject(new EngineError("engine_error", "the eSpeak NG engine is closed"));
    return this.#ensureWorker();
  }

  async *synthesize(text: string, { signal }: { signal: AbortSignal }): AsyncGenerator<Uint8Array> {
    if (signal.aborted) throw abortError(signal);
    if (this.#closed) throw new EngineError("engine_error", "the eSpeak NG engine is closed");
    if (!/\S/.test(text)) return;
    const pcm = await this.#enqueue(text, signal);
    for (let at = 0; at < pcm.byteLength; at += this.#chunkBytes) {
      if (signal.aborted) throw abortError(signal);
      yield pcm.subarray(at, Math.min(pcm.byteLength, at + this.#chunkBytes));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new EngineError("engine_error", "the eSpeak NG engine was closed"));
    const worker = this.#worker;
    this.#worker = null;
    this.#ready = null;
    if (worker !== null) await worker.terminate();
  }

  #enqueue(text: string, signal: AbortSignal): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const job: Job = {
        id: this.#nextId++,
        text,
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

  #pump(): void {
    if (this.#current !== null || this.#queue.length === 0 || this.#closed) return;
    const job = this.#queue.shift()!;
    this.#current = job;
    this.#ensureWorker().then(
      () => {
        if (this.#current !== job || this.#worker === null) return;
        this.#worker.ref();
        const request: WorkerRequest = { type: "synthesize", id: job.id, text: job.text, voice: this.voice, rate: this.rate, pitch: this.pitch };
        this.#worker.postMessage(request);
      },
      (err: unknown) => this.#finish(job, err, null),
    );
  }

  #finish(job: Job, err: unknown, pcm: Uint8Array | null): void {
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
    const worker = spawnWorker(import.meta.url, "./espeak-worker");
    worker.unref();
    this.#worker = worker;
    this.#stats.workerStarts++;
    this.#stats.loadMs = null;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new EngineError("timeout", `eSpeak NG did not load within ${this.#startTimeoutMs} ms`));
        this.#discardWorker(worker);
      }, this.#startTimeoutMs);
      timer.unref();
      worker.on("message", (message: WorkerResponse) => {
        if (message.type === "ready") {
          clearTimeout(timer);
          this.#stats.loadMs = message.loadMs;
          this.#logger?.info("espeak-ng worker ready", { loadMs: Math.round(message.loadMs) });
          resolve();
        } else if (message.type === "fatal") {
          clearTimeout(timer);
          reject(new EngineError("engine_error", `eSpeak NG failed to load: ${message.message}`));
        } else {
          this.#workerOnResult(message);
        }
      });
      worker.on("error", (err) => {
        clearTimeout(timer);
        this.#logger?.error("espeak-ng worker failed", { error: err.message });
        const failure = new EngineError("engine_error", `eSpeak NG worker failed: ${err.message}`, { cause: err });
        reject(failure);
        this.#workerOnGone(worker, failure);
      });
      worker.on("exit", (code) => {
        clearTimeout(timer);
        const failure = new EngineError("engine_error", `eSpeak NG worker exited (code ${code})`);
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
