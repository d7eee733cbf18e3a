/**
 * The host side of an embedded WebAssembly synthesiser (eSpeak NG, Flite):
 * a pool of worker threads (synth-thread.ts, pooled by ../engine-pool.ts)
 * shared by every session, so synthesis never blocks the event loop and
 * several sessions' sentences are synthesised at the same time.
 *
 * - Up to `poolSize` workers (the `enginePoolSize` setting; default the
 *   core count). `start()` loads one ahead of time (warm-up); more start on
 *   demand, when a sentence finds every worker busy, and one that stays idle
 *   for `idleMs` (default 60 s) is stopped again, keeping the first. A
 *   worker costs its load (about two seconds of one core, see
 *   docs/benchmarks.md) and its memory, so they are not all started up front.
 * - Sentences go to a free worker first come, first served. One turn's
 *   sentences stay in order because the turn hands over its next sentence
 *   only when the previous one is done. A sentence that has to wait reports
 *   its wait (`onQueued`), which the session's latency trace carries as
 *   `tts_queued_ms` (docs/latency.md).
 * - Abort: a sentence still queued is dropped; a sentence already being
 *   synthesised in a worker is not interrupted (the WASM program cannot be
 *   stopped part-way) but its result is ignored and the caller's promise
 *   rejects with the AbortError at once. A sentence costs tens of
 *   milliseconds of worker time, so the worker is free again almost
 *   immediately; terminating it instead would cost the whole load (and the
 *   JIT warm-up) again.
 * - A worker that dies fails the sentence it held; the pool replaces it.
 * - `close()` terminates every worker and fails anything still pending.
 */
import type { PcmFormat } from "../audio.js";
import { defaultPoolSize, EnginePool, type EnginePoolStats } from "../engine-pool.js";
import { EngineError } from "../engine-error.js";
import { abortError } from "../http.js";
import { SynthThread, type SynthThreadOptions } from "./synth-thread.js";
import type { SynthesizeOptions } from "./types.js";

/** Counters that show the workers are reused (tests, system info, bench), and the pool's state. */
export interface SynthWorkerStats extends EnginePoolStats {
  /** Workers started so far (one per pool member started, more only after a crash or an idle stop). */
  workerStarts: number;
  /** Sentences synthesised to completion by the running workers. */
  sentences: number;
  /** Milliseconds the last worker took to load the WASM, or null before one is ready. */
  loadMs: number | null;
}

export interface SynthWorkerOptions extends SynthThreadOptions {
  /** Most workers at once. Default: the core count (`os.availableParallelism()`). */
  poolSize?: number | undefined;
  /** A worker beyond the first is stopped after this long without a sentence (ms). Default 60000. */
  idleMs?: number | undefined;
}

/** Default of SynthWorkerOptions.idleMs. */
export const SYNTH_IDLE_MS = 60_000;

/**
 * A pool of worker threads serving one synthesiser, one sentence per worker at a time.
 * @example
 * const host = new SynthWorker<FliteSettings>({ script: "flite-worker", label: "Flite", startTimeoutMs: 20_000, poolSize: 2 });
 * const pcm = await host.synthesize("Hello.", { voice: "slt" }, signal);
 */
export class SynthWorker<S> {
  readonly #label: string;
  readonly #pool: EnginePool<SynthThread<S>>;
  /** Sentences of workers already stopped (so `sentences` never goes back). */
  #retiredSentences = 0;
  #loadMs: number | null = null;

  /** Throws TypeError for a pool size that is not a whole number from 1 to 256. */
  constructor(options: SynthWorkerOptions) {
    const { poolSize, idleMs, ...thread } = options;
    this.#label = options.label;
    this.#pool = new EnginePool<SynthThread<S>>({
      size: poolSize ?? defaultPoolSize(),
      idleMs: idleMs ?? SYNTH_IDLE_MS,
      start: async () => {
        const started = await SynthThread.start<S>(thread);
        this.#loadMs = started.loadMs;
        return started;
      },
      stop: async (member, why) => {
        this.#retiredSentences += member.sentences;
        await member.close(why === "closed" ? this.#closedWhileRunning() : undefined);
      },
      usable: (member) => member.alive,
      closedError: () => this.closedError(),
    });
  }

  get stats(): SynthWorkerStats {
    const pool = this.#pool.stats;
    const sentences = this.#pool.members().reduce((n, m) => n + m.sentences, this.#retiredSentences);
    return { ...pool, workerStarts: pool.starts, sentences, loadMs: this.#loadMs };
  }

  get closed(): boolean {
    return this.#pool.closed;
  }

  /** The error every call fails with once closed. */
  closedError(): EngineError {
    return new EngineError("engine_error", `the ${this.#label} engine is closed`);
  }

  #closedWhileRunning(): EngineError {
    return new EngineError("engine_error", `the ${this.#label} engine was closed`);
  }

  /** Start `workers` workers (default 1, at most the pool size) and wait until they have loaded (optional: sentences start them too). */
  start(workers = 1): Promise<void> {
    return this.#pool.warm(workers);
  }

  /**
   * Synthesise `text` in a free worker; rejects with the AbortError as soon
   * as `signal` aborts. `onQueued` hears how long the sentence waited for a
   * worker (ms, 0 when one was free) before it is synthesised.
   */
  synthesize(text: string, settings: S, signal: AbortSignal, onQueued?: (queuedMs: number) => void): Promise<Uint8Array> {
    return this.#pool.run((thread) => thread.synthesize(text, settings), signal, onQueued);
  }

  /** Terminate every worker; whatever is queued or in flight fails with `engine_error`. */
  async close(): Promise<void> {
    await this.#pool.close();
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

  /** Throws TypeError for a pool size that is not a whole number from 1 to 256. */
  constructor(host: SynthWorkerOptions, sampleRate: number, chunkMs: number) {
    this.#chunkBytes = chunkBytesFor(sampleRate, chunkMs);
    this.#host = new SynthWorker(host);
  }

  /** The settings sent with every sentence. */
  protected abstract settings(): S;

  /** Counters showing worker reuse, and the pool's state. */
  get stats(): SynthWorkerStats {
    return this.#host.stats;
  }

  /**
   * Start `workers` workers (default 1) and wait until their WASM is loaded
   * (optional: sentences start them too, as needed, up to the pool size).
   */
  start(workers = 1): Promise<void> {
    return this.#host.start(workers);
  }

  async *synthesize(text: string, { signal, onQueued }: SynthesizeOptions): AsyncGenerator<Uint8Array> {
    if (signal.aborted) throw abortError(signal);
    if (this.#host.closed) throw this.#host.closedError();
    if (!/\S/.test(text)) return;
    const pcm = await this.#host.synthesize(text, this.settings(), signal, onQueued);
    yield* slicePcm(pcm, this.#chunkBytes, signal);
  }

  /** Terminate every worker; sentences queued or in flight fail with `engine_error`. */
  close(): Promise<void> {
    return this.#host.close();
  }
}
