/**
 * Energy-based voice-activity detection: decides where an utterance starts
 * and ends in 16 kHz s16le mono PCM, so that listening (continuous and
 * push-to-talk) hands one utterance at a time to the recogniser. The STT
 * actor (actors/stt/actor.ts) runs one detector per utterance on client,
 * microphone and file audio.
 *
 * The audio is cut into frames of `frameMs`. A frame is loud when its RMS
 * (on a 0..1 scale, 1 = full-scale square wave) exceeds `threshold`.
 * - Speech starts after `startMs` of consecutive loud frames (so a click or
 *   a cough shorter than that is ignored). The start is dated to the first
 *   of those frames.
 * - Speech ends after `hangoverMs` of consecutive quiet frames (the pause
 *   between words and sentences is shorter), or when the utterance reaches
 *   `maxUtteranceMs`.
 * Defaults: frameMs 20, threshold 0.01 (about -40 dBFS), startMs 60,
 * hangoverMs 700, maxUtteranceMs 30000.
 *
 * Pure: no timers and no I/O; time is counted in audio samples.
 */
import { INPUT_PCM, type PcmFormat } from "../audio.js";

/** VAD thresholds; see the module comment for their meaning and defaults. */
export interface VadOptions {
  frameMs?: number;
  threshold?: number;
  startMs?: number;
  hangoverMs?: number;
  maxUtteranceMs?: number;
}

/** What the detector reports; times are milliseconds of audio since the detector started (or was reset). */
export type VadEvent =
  | { type: "speech_start"; atMs: number }
  | { type: "speech_end"; atMs: number; reason: "silence" | "max_length" };

/** The defaults, exported so docs and callers can show them. */
export const VAD_DEFAULTS: Required<VadOptions> = {
  frameMs: 20,
  threshold: 0.01,
  startMs: 60,
  hangoverMs: 700,
  maxUtteranceMs: 30_000,
};

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

/**
 * Frame-by-frame detector. Feed it PCM with `push`; it returns the events the
 * new audio caused, in order.
 * @example
 * const vad = new EnergyVad();
 * for (const event of vad.push(chunk)) if (event.type === "speech_end") finishUtterance();
 */
export class EnergyVad {
  readonly options: Required<VadOptions>;
  #frameBytes: number;
  #frameSamples: number;
  #sampleRate: number;
  #pending: Uint8Array = new Uint8Array(0);
  #framesSeen = 0;
  #inSpeech = false;
  #loudRun = 0;
  #quietRun = 0;
  #speechStartFrame = 0;

  constructor(options: VadOptions = {}, format: PcmFormat = INPUT_PCM) {
    if (format.sample_type !== "s16le" || format.channels !== 1) {
      throw new TypeError("EnergyVad needs s16le mono PCM; convert with convertPcm first");
    }
    this.options = { ...VAD_DEFAULTS, ...options };
    const o = this.options;
    if (!(o.frameMs >= 5 && o.frameMs <= 100)) throw new TypeError("vad frameMs must be between 5 and 100");
    if (!(o.threshold > 0 && o.threshold < 1)) throw new TypeError("vad threshold must be between 0 and 1 (RMS of full scale)");
    if (!(o.startMs >= 0 && o.hangoverMs > 0 && o.maxUtteranceMs > o.hangoverMs)) {
      throw new TypeError("vad needs startMs >= 0, hangoverMs > 0 and maxUtteranceMs > hangoverMs");
    }
    this.#sampleRate = format.sample_rate;
    this.#frameSamples = Math.max(1, Math.round((format.sample_rate * o.frameMs) / 1000));
    this.#frameBytes = this.#frameSamples * 2;
  }

  /** True between a speech_start and the following speech_end. */
  get inSpeech(): boolean {
    return this.#inSpeech;
  }

  /** Process more audio; a partial frame at the end waits for the next push. */
  push(chunk: Uint8Array): VadEvent[] {
    const events: VadEvent[] = [];
    let data = chunk;
    if (this.#pending.byteLength > 0) {
      data = new Uint8Array(this.#pending.byteLength + chunk.byteLength);
      data.set(this.#pending, 0);
      data.set(chunk, this.#pending.byteLength);
    }
    let at = 0;
    for (; at + this.#frameBytes <= data.byteLength; at += this.#frameBytes) {
      const event = this.#frame(rmsS16(data.subarray(at, at + this.#frameBytes)) > this.options.threshold);
      if (event !== null) events.push(event);
    }
    this.#pending = data.slice(at);
    return events;
  }

  /** Forget everything, as if newly constructed (times restart at 0). */
  reset(): void {
    this.#pending = new Uint8Array(0);
    this.#framesSeen = 0;
    this.#inSpeech = false;
    this.#loudRun = 0;
    this.#quietRun = 0;
  }

  #frame(loud: boolean): VadEvent | null {
    const index = this.#framesSeen++;
    const o = this.options;
    const startFrames = Math.max(1, Math.ceil(o.startMs / o.frameMs));
    const hangoverFrames = Math.max(1, Math.ceil(o.hangoverMs / o.frameMs));
    const maxFrames = Math.ceil(o.maxUtteranceMs / o.frameMs);
    if (!this.#inSpeech) {
      this.#loudRun = loud ? this.#loudRun + 1 : 0;
      if (this.#loudRun < startFrames) return null;
      this.#inSpeech = true;
      this.#quietRun = 0;
      this.#speechStartFrame = index - startFrames + 1;
      return { type: "speech_start", atMs: this.#ms(this.#speechStartFrame) };
    }
    this.#quietRun = loud ? 0 : this.#quietRun + 1;
    const endsBySilence = this.#quietRun >= hangoverFrames;
    const endsByLength = index + 1 - this.#speechStartFrame >= maxFrames;
    if (!endsBySilence && !endsByLength) return null;
    this.#inSpeech = false;
    this.#loudRun = 0;
    return { type: "speech_end", atMs: this.#ms(index + 1), reason: endsBySilence ? "silence" : "max_length" };
  }

  #ms(frames: number): number {
    return Math.round((frames * this.#frameSamples * 1000) / this.#sampleRate);
  }
}

/**
 * Pass audio through until the detector ends the utterance: yields every
 * chunk up to and including the one in which speech_end fell, then stops
 * (the source is released). Chunks before speech starts are passed too, so
 * the recogniser hears the onset. `onEvent` sees each VAD event.
 */
export async function* untilUtteranceEnd(
  audio: AsyncIterable<Uint8Array>,
  vad: EnergyVad,
  onEvent?: (event: VadEvent) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of audio) {
    let ended = false;
    for (const event of vad.push(chunk)) {
      onEvent?.(event);
      if (event.type === "speech_end") ended = true;
    }
    yield chunk;
    if (ended) return;
  }
}
