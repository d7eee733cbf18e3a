/**
 * Silero VAD v5, the default voice-activity detector: a small recurrent
 * network (2.3 MB of ONNX, MIT) that gives each 32 ms frame of 16 kHz audio
 * a speech probability. It tells speech from steady noise (fans, traffic,
 * hum) where an energy threshold cannot.
 *
 * - The weights are Silero's own `silero_vad_v5.onnx`, shipped in this
 *   package (models/, MIT): nothing is fetched, at install or at run time.
 * - They run in plain JavaScript (vad-silero-net.ts reads the ONNX file and
 *   computes the same graph): no ONNX runtime, no native binary.
 * - One `SileroModel` (the network, in a pool of worker threads,
 *   vad-silero-thread.ts and vad-silero-worker.ts) serves every stream of
 *   every session: the event loop only posts frames and reads answers
 *   (bench:vad measures the call time, the main-thread time and the
 *   event-loop utilisation; bench:engine-pools the per-frame latency under
 *   many streams). A frame that waits for a free worker says so
 *   (`VadFrame.queuedMs`), and the session's latency trace reports it
 *   (`vad_queued_ms`).
 * - Each stream (`SileroVad`) keeps its own recurrent state and 64 samples
 *   of context, and resets them after each speech_end (and on `reset()`), so
 *   one utterance never colours the next.
 * - Audio of any rate, sample type and channel count is converted to 16 kHz
 *   mono as it streams (PcmStreamConverter).
 * - A frame is speech when its probability is at least `threshold`.
 *   Silero's own iterator keeps speech going down to `threshold - 0.15`;
 *   here the end-of-speech silence already bridges short dips, and bench:vad
 *   measured the extra margin only delaying the end (and lowering F1 in
 *   noise), so there is none. Endpointing as in actors/stt/endpointer.ts.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { INPUT_PCM, type PcmFormat } from "../audio.js";
import { PcmStreamConverter } from "../audio-resample.js";
import { defaultPoolSize, EnginePool, type EnginePoolStats } from "../engine-pool.js";
import { EngineError } from "../engine-error.js";
import { checkEndpointOptions, Endpointer } from "./endpointer.js";
import { SileroThread } from "./vad-silero-thread.js";
import type { DetectorOptions, SpeechDetector, VadEvent, VadOptions } from "./vad.js";

/** Silero's defaults here: speech probability 0.5, and the energy detector's durations except a longer minimum speech. */
export const SILERO_DEFAULTS: Required<Omit<VadOptions, "frameMs">> = {
  threshold: 0.5,
  startMs: 100,
  hangoverMs: 700,
  maxUtteranceMs: 30_000,
};

/** Where the weights are: a file of this package, Silero VAD v5 as published (sha256 in models/README.md). */
export const SILERO_MODEL_SOURCE = { file: "models/silero_vad_v5.onnx", sha256: "2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f" } as const;

const RATE = 16_000;
/** Samples per frame the v5 model takes at 16 kHz (32 ms). */
const FRAME = 512;
/** Samples of the previous frame prepended to each frame (v5's context). */
const CONTEXT = 64;
/** Size of the recurrent state: [2, 1, 128]. */
const STATE = 2 * 128;
/** Default of SileroModelOptions.idleMs. */
export const SILERO_IDLE_MS = 60_000;

/** Path of the model file shipped with this package (from the sources or from dist/). Throws when it is missing. */
export function sileroModelPath(): string {
  // actors/stt/ in the sources, dist/actors/stt/ once compiled.
  for (const up of ["../../", "../../../"]) {
    const path = fileURLToPath(new URL(up + SILERO_MODEL_SOURCE.file, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`${SILERO_MODEL_SOURCE.file} is missing from the package`);
}

/** Options of `SileroModel.load`; every field has a default. */
export interface SileroModelOptions {
  /** Most worker threads, i.e. frames scored at the same time (the `enginePoolSize` setting). Default: the core count. */
  workers?: number | undefined;
  /** A worker beyond the first is stopped after this long without a frame (ms). Default 60000. */
  idleMs?: number | undefined;
}

/** Frames are never abandoned half-way: a stream awaits each one (its state depends on it). */
const NEVER_ABORTED = new AbortController().signal;

/**
 * The loaded network, in a pool of worker threads (vad-silero-thread.ts)
 * that every stream shares. One worker is started at load; more start on
 * demand, up to `workers`, when a frame finds every worker busy (and stop
 * again after `idleMs` idle, keeping the first). A frame goes to whichever
 * worker is free first: the stream's recurrent state travels with the frame
 * and back (1 KB each way), so no stream is tied to a worker and none waits
 * behind another stream's frames while a worker is free. A stream's frames
 * stay in order because it sends its next frame only when the previous one
 * has been scored (its state depends on it).
 */
export class SileroModel {
  readonly path: string;
  readonly #pool: EnginePool<SileroThread>;
  #failure: EngineError | null = null;

  private constructor(path: string, options: SileroModelOptions) {
    this.path = path;
    this.#pool = new EnginePool<SileroThread>({
      size: options.workers ?? defaultPoolSize(),
      idleMs: options.idleMs ?? SILERO_IDLE_MS,
      start: async () => {
        try {
          return await SileroThread.start(path);
        } catch (err) {
          // With no worker left to score, later streams get the energy detector (vad-select.ts) rather than failing every utterance.
          if (this.#pool.stats.members === 0) this.#failure ??= err instanceof EngineError ? err : new EngineError("vad_unavailable", String(err));
          throw err;
        }
      },
      stop: (thread) => thread.close(),
      usable: (thread) => thread.alive,
      closedError: () => this.#failure ?? new EngineError("vad_unavailable", "the Silero model was closed"),
    });
  }

  /**
   * Load the model file (default: the one this package ships) in one worker;
   * more start as streams need them, up to `workers`.
   * Throws EngineError `vad_unavailable` saying what failed, TypeError for a bad `workers`.
   */
  static async load(path?: string, options: SileroModelOptions = {}): Promise<SileroModel> {
    let file: string;
    try {
      file = path ?? sileroModelPath();
    } catch (err) {
      throw new EngineError("vad_unavailable", `the Silero weights are not installed: ${(err as Error).message}`, { cause: err });
    }
    const model = new SileroModel(file, options);
    try {
      await model.#pool.warm(1);
    } catch (err) {
      await model.#pool.close();
      throw err;
    }
    return model;
  }

  /**
   * Score one frame: `input` holds CONTEXT + FRAME samples (16 kHz, -1..1),
   * `state` the stream's recurrent state, replaced by the new one. Resolves
   * with the speech probability and how long the frame waited for a free
   * worker (ms; 0 when one was free).
   * Throws EngineError `vad_unavailable` once the model is closed, when the
   * worker scoring it died, or when no worker can be started.
   */
  async score(input: Float32Array, state: Float32Array): Promise<{ probability: number; queuedMs: number }> {
    if (this.#failure) throw this.#failure;
    let queuedMs = 0;
    const result = await this.#pool.run((thread) => thread.score(input, state), NEVER_ABORTED, (ms) => (queuedMs = ms));
    state.set(result.state);
    return { probability: result.probability, queuedMs };
  }

  /** Start workers until `workers` run (at most the pool size) and wait until they have loaded (optional: frames start them as needed). */
  warm(workers: number): Promise<void> {
    return this.#pool.warm(workers);
  }

  /** Why the model can no longer score (closed, or no worker runs and none could be started), or null while it works. */
  get failure(): EngineError | null {
    return this.#failure;
  }

  /** The pool's state: workers running and busy, frames queued, the most busy at once. */
  get stats(): EnginePoolStats {
    return this.#pool.stats;
  }

  async close(): Promise<void> {
    this.#failure ??= new EngineError("vad_unavailable", "the Silero model was closed");
    await this.#pool.close();
  }
}

/**
 * One stream's Silero detector. `push` resolves when the model has scored
 * every whole frame of the chunk; calls are queued in order.
 * @example
 * const model = await SileroModel.load();
 * const vad = new SileroVad(model, { hangoverMs: 500 });
 * for await (const chunk of mic) for (const e of await vad.push(chunk)) console.log(e.type, e.atMs);
 */
export class SileroVad implements SpeechDetector {
  readonly name = "silero";
  readonly options: Required<Omit<VadOptions, "frameMs">>;
  readonly #model: SileroModel;
  readonly #converter: PcmStreamConverter;
  readonly #endpointer: Endpointer;
  readonly #onFrame: DetectorOptions["onFrame"];
  readonly #state = new Float32Array(STATE);
  /** CONTEXT samples of history, then the frame being filled. */
  readonly #window = new Float32Array(CONTEXT + FRAME);
  #filled = 0;
  #queue: Promise<unknown> = Promise.resolve();
  /** Bumped by reset(): work queued before it is dropped. */
  #generation = 0;

  /** Throws TypeError for invalid thresholds. */
  constructor(model: SileroModel, options: VadOptions = {}, format: PcmFormat = INPUT_PCM, detector: DetectorOptions = {}) {
    this.options = { ...SILERO_DEFAULTS, ...stripFrameMs(options) };
    checkSileroOptions(this.options);
    this.#model = model;
    this.#endpointer = new Endpointer(this.options, (FRAME * 1000) / RATE);
    this.#converter = new PcmStreamConverter(format, RATE);
    this.#onFrame = detector.onFrame;
  }

  get inSpeech(): boolean {
    return this.#endpointer.inSpeech;
  }

  push(chunk: Uint8Array): Promise<VadEvent[]> {
    const generation = this.#generation;
    const samples = this.#converter.push(chunk);
    const work = this.#queue.then(() => this.#process(samples, generation));
    this.#queue = work.catch(() => {});
    return work;
  }

  reset(): void {
    this.#generation++;
    this.#converter.reset();
    this.#endpointer.reset();
    this.#forget();
  }

  /** Clear the recurrent state and context (between utterances). */
  #forget(): void {
    this.#state.fill(0);
    this.#window.fill(0);
    this.#filled = 0;
  }

  async #process(samples: Float32Array, generation: number): Promise<VadEvent[]> {
    const events: VadEvent[] = [];
    let at = 0;
    while (at < samples.length) {
      if (generation !== this.#generation) return [];
      const take = Math.min(FRAME - this.#filled, samples.length - at);
      this.#window.set(samples.subarray(at, at + take), CONTEXT + this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled < FRAME) break;
      const { probability, queuedMs } = await this.#model.score(this.#window.slice(), this.#state);
      if (generation !== this.#generation) return [];
      this.#window.copyWithin(0, FRAME, FRAME + CONTEXT);
      this.#filled = 0;
      const speech = probability >= this.options.threshold;
      this.#onFrame?.({ atMs: this.#endpointer.elapsedMs, durationMs: (FRAME * 1000) / RATE, score: probability, speech, queuedMs });
      const event = this.#endpointer.frame(speech);
      if (event === null) continue;
      events.push(event);
      // A new utterance starts from a clean network, whatever came before.
      if (event.type === "speech_end") this.#forget();
    }
    return events;
  }
}

function stripFrameMs(options: VadOptions): Omit<VadOptions, "frameMs"> {
  const { frameMs: _frameMs, ...rest } = options;
  return rest;
}

/** Check Silero thresholds; throws one TypeError naming what is wrong. */
export function checkSileroOptions(o: Required<Omit<VadOptions, "frameMs">>): void {
  if (!(o.threshold > 0 && o.threshold < 1)) throw new TypeError("vad threshold must be between 0 and 1 (Silero speech probability)");
  checkEndpointOptions(o);
}
