/**
 * The endpointing rules every voice-activity detector shares (see
 * actors/stt/vad.ts): from one speech / non-speech decision per frame to
 * speech_start and speech_end events, counting time in frames of audio.
 */
import type { EndpointOptions, VadEvent } from "./vad.js";

/** Check endpointing durations; throws one TypeError naming what is wrong. */
export function checkEndpointOptions(o: EndpointOptions): void {
  if (!(o.startMs >= 0 && o.hangoverMs > 0 && o.maxUtteranceMs > o.hangoverMs)) {
    throw new TypeError("vad needs startMs >= 0, hangoverMs > 0 and maxUtteranceMs > hangoverMs");
  }
}

/**
 * The endpointing state machine shared by the detectors: feed it one
 * speech/non-speech decision per frame.
 */
export class Endpointer {
  readonly #frameMs: number;
  readonly #startFrames: number;
  readonly #hangoverFrames: number;
  readonly #maxFrames: number;
  #framesSeen = 0;
  #inSpeech = false;
  #speechRun = 0;
  #quietRun = 0;
  #speechStartFrame = 0;

  constructor(options: EndpointOptions, frameMs: number) {
    checkEndpointOptions(options);
    this.#frameMs = frameMs;
    this.#startFrames = Math.max(1, Math.ceil(options.startMs / frameMs));
    this.#hangoverFrames = Math.max(1, Math.ceil(options.hangoverMs / frameMs));
    this.#maxFrames = Math.ceil(options.maxUtteranceMs / frameMs);
  }

  get inSpeech(): boolean {
    return this.#inSpeech;
  }

  /** Milliseconds of audio seen so far. */
  get elapsedMs(): number {
    return this.#ms(this.#framesSeen);
  }

  /** Take the next frame's decision; returns the event it causes, if any. */
  frame(speech: boolean): VadEvent | null {
    const index = this.#framesSeen++;
    if (!this.#inSpeech) {
      this.#speechRun = speech ? this.#speechRun + 1 : 0;
      if (this.#speechRun < this.#startFrames) return null;
      this.#inSpeech = true;
      this.#quietRun = 0;
      this.#speechStartFrame = index - this.#startFrames + 1;
      return { type: "speech_start", atMs: this.#ms(this.#speechStartFrame) };
    }
    this.#quietRun = speech ? 0 : this.#quietRun + 1;
    const endsBySilence = this.#quietRun >= this.#hangoverFrames;
    const endsByLength = index + 1 - this.#speechStartFrame >= this.#maxFrames;
    if (!endsBySilence && !endsByLength) return null;
    this.#inSpeech = false;
    this.#speechRun = 0;
    return { type: "speech_end", atMs: this.#ms(index + 1), reason: endsBySilence ? "silence" : "max_length" };
  }

  reset(): void {
    this.#framesSeen = 0;
    this.#inSpeech = false;
    this.#speechRun = 0;
    this.#quietRun = 0;
  }

  #ms(frames: number): number {
    return Math.round(frames * this.#frameMs);
  }
}

