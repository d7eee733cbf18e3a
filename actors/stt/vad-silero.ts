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
 * - One `SileroModel` (one network, in its own worker thread,
 *   vad-silero-worker.ts) serves every stream: the event loop only posts
 *   frames and reads answers (bench:vad measures the call time, the
 *   main-thread time and the event-loop utilisation).
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
import type { Worker } from "node:worker_threads";
import { INPUT_PCM, type PcmFormat } from "../audio.js";
import { PcmStreamConverter } from "../audio-resample.js";
import { EngineError } from "../engine-error.js";
import { spawnWorker } from "../spawn-worker.js";
import { checkEndpointOptions, Endpointer } from "./endpointer.js";
import type { SileroRequest, SileroResponse } from "./vad-silero-protocol.js";
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

/** Path of the model file shipped with this package (from the sources or from dist/). Throws when it is missing. */
export function sileroModelPath(): string {
  // actors/stt/ in the sources, dist/actors/stt/ once compiled.
  for (const up of ["../../", "../../../"]) {
    const path = fileURLToPath(new URL(up + SILERO_MODEL_SOURCE.file, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`${SILERO_MODEL_SOURCE.file} is missing from the package`);
}

/**
 * The loaded network, in its own worker thread. One per process is enough;
 * streams share it (frames are scored in the order they are sent).
 */
export class SileroModel {
  readonly path: string;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(value: { probability: number; state: Float32Array }): void; reject(err: Error): void }>();
  #nextId = 1;
  #failure: EngineError | null = null;

  private constructor(worker: Worker, path: string) {
    this.#worker = worker;
    this.path = path;
    worker.on("message", (message: SileroResponse) => this.#workerOnMessage(message));
    worker.on("error", (err) => this.#fail(`the Silero worker failed: ${err.message}`));
    worker.on("exit", () => this.#fail("the Silero model was closed"));
    // Only frames in flight keep the process alive.
    worker.unref();
  }

  /**
   * Start the worker and load the model file (default: the one this package ships).
   * Throws EngineError `vad_unavailable` saying what failed.
   */
  static async load(path?: string): Promise<SileroModel> {
    let file: string;
    try {
      file = path ?? sileroModelPath();
    } catch (err) {
      throw new EngineError("vad_unavailable", `the Silero weights are not installed: ${(err as Error).message}`, { cause: err });
    }
    const worker = spawnWorker(import.meta.url, "./vad-silero-worker", { workerData: { path: file } });
    const failure = await new Promise<string | null>((resolve) => {
      const onMessage = (message: SileroResponse) => {
        if (message.type === "ready") done(null);
        else if (message.type === "fatal") done(message.message);
      };
      const onError = (err: Error) => done(err.message);
      const onExit = (code: number) => done(`the worker exited with code ${code}`);
      function done(result: string | null) {
        worker.off("message", onMessage).off("error", onError).off("exit", onExit);
        resolve(result);
      }
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
    });
    if (failure !== null) {
      await worker.terminate();
      throw new EngineError("vad_unavailable", `the Silero model ${file} could not load: ${failure}`);
    }
    return new SileroModel(worker, file);
  }

  /**
   * Score one frame: `input` holds CONTEXT + FRAME samples (16 kHz, -1..1),
   * `state` the stream's recurrent state, replaced by the new one.
   * Throws EngineError `vad_unavailable` once the model is closed or its worker failed.
   */
  async score(input: Float32Array, state: Float32Array): Promise<number> {
    if (this.#failure) throw this.#failure;
    const id = this.#nextId++;
    const reply = new Promise<{ probability: number; state: Float32Array }>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    if (this.#pending.size === 1) this.#worker.ref();
    const request: SileroRequest = { id, input, state };
    this.#worker.postMessage(request);
    const result = await reply;
    state.set(result.state);
    return result.probability;
  }

  /** Why the model can no longer score (closed, or its worker died), or null while it works. */
  get failure(): EngineError | null {
    return this.#failure;
  }

  async close(): Promise<void> {
    if (this.#failure) return;
    this.#fail("the Silero model was closed");
    await this.#worker.terminate();
  }

  #workerOnMessage(message: SileroResponse): void {
    if (message.type !== "score" && message.type !== "error") return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (message.type === "score") pending.resolve(message);
    else pending.reject(new EngineError("vad_unavailable", `Silero could not score a frame: ${message.message}`));
  }

  #fail(message: string): void {
    if (this.#failure) return;
    this.#failure = new EngineError("vad_unavailable", message);
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
    this.#worker.unref();
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
      const probability = await this.#model.score(this.#window.slice(), this.#state);
      if (generation !== this.#generation) return [];
      this.#window.copyWithin(0, FRAME, FRAME + CONTEXT);
      this.#filled = 0;
      const speech = probability >= this.options.threshold;
      this.#onFrame?.({ atMs: this.#endpointer.elapsedMs, durationMs: (FRAME * 1000) / RATE, score: probability, speech });
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
