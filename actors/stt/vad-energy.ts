/**
 * The energy voice-activity detector: a frame is speech when its RMS level
 * (on a 0..1 scale, 1 = full-scale square wave) exceeds `threshold`. Cheap
 * and exact on clean audio, but any steady noise louder than the threshold
 * (a fan, a street) reads as endless speech, and speech under it is missed:
 * it is `--vad energy` and the fallback when the Silero model cannot load.
 *
 * Audio of any format is brought to 16 kHz mono first; frames are `frameMs`
 * long. Endpointing as in actors/stt/endpointer.ts. Defaults (VAD_DEFAULTS):
 * frameMs 20, threshold 0.01 (about -40 dBFS), startMs 60, hangoverMs 700,
 * maxUtteranceMs 30000. Pure: no timers and no I/O.
 */
import { INPUT_PCM, type PcmFormat } from "../audio.js";
import { PcmStreamConverter } from "../audio-resample.js";
import { Endpointer } from "./endpointer.js";
import type { DetectorOptions, SpeechDetector, VadEvent, VadOptions, VadProvider } from "./vad.js";

/** The energy detector's defaults, exported so docs and callers can show them. */
export const VAD_DEFAULTS: Required<VadOptions> = {
  frameMs: 20,
  threshold: 0.01,
  startMs: 60,
  hangoverMs: 700,
  maxUtteranceMs: 30_000,
};

/** The rate the detector works at. */
const RATE = 16_000;

/** Root-mean-square level of s16le PCM on a 0..1 scale (0 for empty input). */
export function rmsS16(bytes: Uint8Array): number {
  const samples = Math.floor(bytes.byteLength / 2);
  if (samples === 0) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, samples * 2);
  let sum = 0;
  for (let i = 0; i < samples; i++) {
    const s = view.getInt16(i * 2, true) / 32768;
    sum += s * s;
  }
  return Math.sqrt(sum / samples);
}

function rmsFloat(samples: Float32Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i]! * samples[i]!;
  return to > from ? Math.sqrt(sum / (to - from)) : 0;
}

/** Check thresholds; throws one TypeError naming what is wrong. */
function checkEnergyOptions(o: Required<VadOptions>): void {
  if (!(o.frameMs >= 5 && o.frameMs <= 100)) throw new TypeError("vad frameMs must be between 5 and 100");
  if (!(o.threshold > 0 && o.threshold < 1)) throw new TypeError("vad threshold must be between 0 and 1 (RMS of full scale)");
}

/**
 * Frame-by-frame energy detector. Feed it PCM with `push`; it returns the
 * events the new audio caused, in order (synchronously).
 * @example
 * const vad = new EnergyVad();
 * for (const event of vad.push(chunk)) if (event.type === "speech_end") finishUtterance();
 */
export class EnergyVad implements SpeechDetector {
  readonly name = "energy";
  readonly options: Required<VadOptions>;
  readonly #frameSamples: number;
  readonly #converter: PcmStreamConverter;
  readonly #endpointer: Endpointer;
  readonly #onFrame: DetectorOptions["onFrame"];
  #pending: Float32Array = new Float32Array(0);

  /** Throws TypeError for invalid thresholds. */
  constructor(options: VadOptions = {}, format: PcmFormat = INPUT_PCM, detector: DetectorOptions = {}) {
    this.options = { ...VAD_DEFAULTS, ...options };
    checkEnergyOptions(this.options);
    this.#frameSamples = Math.max(1, Math.round((RATE * this.options.frameMs) / 1000));
    this.#endpointer = new Endpointer(this.options, (this.#frameSamples * 1000) / RATE);
    this.#converter = new PcmStreamConverter(format, RATE);
    this.#onFrame = detector.onFrame;
  }

  get inSpeech(): boolean {
    return this.#endpointer.inSpeech;
  }

  /** Process more audio; a partial frame at the end waits for the next push. */
  push(chunk: Uint8Array): VadEvent[] {
    const events: VadEvent[] = [];
    const converted = this.#converter.push(chunk);
    let data = converted;
    if (this.#pending.length > 0) {
      data = new Float32Array(this.#pending.length + converted.length);
      data.set(this.#pending, 0);
      data.set(converted, this.#pending.length);
    }
    const n = this.#frameSamples;
    let at = 0;
    for (; at + n <= data.length; at += n) {
      const level = rmsFloat(data, at, at + n);
      const speech = level > this.options.threshold;
      if (this.#onFrame) this.#onFrame({ atMs: this.#endpointer.elapsedMs, durationMs: (n * 1000) / RATE, score: level, speech });
      const event = this.#endpointer.frame(speech);
      if (event !== null) events.push(event);
    }
    this.#pending = data.slice(at);
    return events;
  }

  reset(): void {
    this.#pending = new Float32Array(0);
    this.#converter.reset();
    this.#endpointer.reset();
  }
}

/**
 * The energy detector as a provider (one EnergyVad per stream).
 * Throws TypeError for invalid thresholds, at once.
 */
export function energyVadProvider(options: VadOptions = {}, description = "VAD: energy threshold"): VadProvider {
  const resolved = { ...VAD_DEFAULTS, ...options };
  checkEnergyOptions(resolved);
  new Endpointer(resolved, resolved.frameMs);
  const { frameMs: _frameMs, ...shown } = resolved;
  return {
    name: "energy",
    description,
    options: shown,
    create: (format, detector) => new EnergyVad(resolved, format, detector),
    close: async () => {},
  };
}
