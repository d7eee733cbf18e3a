/**
 * The barge-in monitor: watches a client's audio while the assistant
 * answers and says when the user has spoken long enough to interrupt.
 *
 * It runs a detector from the same VadProvider the recogniser uses
 * (actors/stt/vad.ts): the detector finds where speech starts and ends;
 * within one stretch of speech the monitor adds up the frames the detector
 * classified as speech, and fires once they reach `minSpeechMs` (so a click
 * or a cough shorter than that never interrupts, and pauses between words
 * do not count). Time is counted in audio, from the monitor's first chunk:
 * no timers.
 *
 * It keeps the audio since speech began (the pre-roll, at most `prerollMs`)
 * and hands it over when it fires, so the new utterance's recogniser hears
 * the user's first words. One monitor fires at most once.
 */
import { pcmDurationMs, type PcmFormat } from "../audio.js";
import { round3 } from "../round3.js";
import type { SpeechDetector, VadFrame, VadProvider } from "./vad.js";

/** The speech that interrupts an answer unless configured otherwise (ms): longer than a cough or a click, shorter than a word or two. */
export const DEFAULT_BARGE_IN_MIN_MS = 300;

/** What a monitor reports when the user has spoken long enough. */
export interface BargeInSpeech {
  /** Speech counted (ms of speech frames since speech began): at least `minSpeechMs`. */
  speechMs: number;
  /** Where speech began, in ms of audio since the monitor's first chunk. */
  startMs: number;
  /** End of the frame that completed `minSpeechMs`, in ms of audio since the monitor's first chunk. */
  atMs: number;
  /** The audio since speech began (whole chunks, oldest first), including chunks received but not yet analysed. */
  preroll: Uint8Array[];
}

export interface BargeInMonitorOptions {
  /** The detector kind (Silero or energy): the monitor creates its own detector from it. */
  vad: VadProvider;
  /** Format of the audio pushed. */
  format: PcmFormat;
  /** Speech that must be heard before the monitor fires (ms). */
  minSpeechMs: number;
  /** Most audio kept as pre-roll (ms); the oldest goes first. Default: `minSpeechMs` + 3000. */
  prerollMs?: number;
  /** The user has spoken long enough (called once, asynchronously for detectors that run off the main thread). */
  onSpeech: (speech: BargeInSpeech) => void;
  /** The detector (or `onSpeech`) threw; the monitor stops. */
  onError?: (error: unknown) => void;
}

interface Held {
  chunk: Uint8Array;
  startMs: number;
  endMs: number;
}

/**
 * Watch audio for speech that lasts `minSpeechMs`; see the module comment.
 * @example
 * const monitor = new BargeInMonitor({ vad, format: INPUT_PCM, minSpeechMs: 300, onSpeech: (s) => interrupt(s.preroll) });
 * socket.on("message", (data, binary) => binary && monitor.push(data));
 */
export class BargeInMonitor {
  readonly minSpeechMs: number;
  readonly #detector: SpeechDetector;
  readonly #format: PcmFormat;
  readonly #prerollMs: number;
  /** How far back a speech_start can be dated: frames older than this (outside speech) can no longer count. */
  readonly #lookbackMs: number;
  readonly #onSpeech: (speech: BargeInSpeech) => void;
  readonly #onError: ((error: unknown) => void) | undefined;
  /** Chunks received (in order), the oldest dropped past the pre-roll bound. */
  readonly #held: Held[] = [];
  /** Frames of the stretch of speech in progress, or of the last moments (see #lookbackMs). */
  readonly #frames: VadFrame[] = [];
  #receivedMs = 0;
  /** Start of the stretch of speech in progress (detector time), or null. */
  #speechStart: number | null = null;
  #queue: Promise<void> = Promise.resolve();
  #done = false;

  /** Throws TypeError for a minimum that is not a positive number. */
  constructor(options: BargeInMonitorOptions) {
    if (!(Number.isFinite(options.minSpeechMs) && options.minSpeechMs > 0)) throw new TypeError("barge-in minSpeechMs must be a positive number");
    const prerollMs = options.prerollMs ?? options.minSpeechMs + 3000;
    if (!(prerollMs >= options.minSpeechMs)) throw new TypeError("barge-in prerollMs must be at least minSpeechMs");
    this.minSpeechMs = options.minSpeechMs;
    this.#prerollMs = prerollMs;
    this.#format = options.format;
    // A detector's frames are at most 100 ms long (energy) and speech_start is dated startMs back, rounded up to frames.
    this.#lookbackMs = options.vad.options.startMs + 100;
    this.#onSpeech = options.onSpeech;
    this.#onError = options.onError;
    this.#detector = options.vad.create(options.format, { onFrame: (frame) => this.#frames.push(frame) });
  }

  /** True once it fired, failed or was closed: it takes no more audio. */
  get done(): boolean {
    return this.#done;
  }

  /** Audio received so far (ms). */
  get receivedMs(): number {
    return this.#receivedMs;
  }

  /** Take the next chunk of audio (in order). Chunks after the monitor is done are ignored. */
  push(chunk: Uint8Array): void {
    if (this.#done || chunk.byteLength === 0) return;
    const startMs = this.#receivedMs;
    this.#receivedMs += pcmDurationMs(chunk.byteLength, this.#format);
    this.#held.push({ chunk: chunk.slice(), startMs, endMs: this.#receivedMs });
    const oldest = this.#receivedMs - this.#prerollMs;
    while (this.#held.length > 1 && this.#held[0]!.endMs <= oldest) this.#held.shift();
    this.#queue = this.#queue.then(() => this.#analyse(chunk));
  }

  /** Stop watching: nothing fires after this. */
  close(): void {
    this.#done = true;
    this.#held.length = 0;
    this.#frames.length = 0;
  }

  /** Settles when every chunk pushed so far has been analysed (for tests and benchmarks). */
  idle(): Promise<void> {
    return this.#queue;
  }

  async #analyse(chunk: Uint8Array): Promise<void> {
    if (this.#done) return;
    let events;
    try {
      events = await this.#detector.push(chunk);
    } catch (err) {
      if (this.#done) return;
      this.close();
      this.#onError?.(err);
      return;
    }
    if (this.#done) return;
    for (const event of events) {
      if (event.type === "speech_start") this.#speechStart = event.atMs;
      else if (this.#speechStart !== null) {
        // A stretch that began and ended inside this chunk may still have been long enough.
        if (this.#check(this.#speechStart, event.atMs)) return;
        this.#speechStart = null;
      }
    }
    if (this.#speechStart !== null && this.#check(this.#speechStart, Infinity)) return;
    this.#forgetFrames();
  }

  /** Fire when the speech frames in [from, to) reach the minimum. Returns true when it fired. */
  #check(from: number, to: number): boolean {
    let speechMs = 0;
    for (const f of this.#frames) {
      if (f.atMs < from || f.atMs >= to || !f.speech) continue;
      speechMs += f.durationMs;
      if (speechMs + 1e-6 < this.minSpeechMs) continue;
      const preroll = this.#held.filter((h) => h.endMs > from).map((h) => h.chunk);
      const speech: BargeInSpeech = { speechMs: round3(speechMs), startMs: round3(from), atMs: round3(f.atMs + f.durationMs), preroll };
      this.close();
      try {
        this.#onSpeech(speech);
      } catch (err) {
        this.#onError?.(err);
      }
      return true;
    }
    return false;
  }

  /** Drop frames that can no longer count: before the stretch of speech in progress, or older than a speech start could be dated. */
  #forgetFrames(): void {
    const last = this.#frames[this.#frames.length - 1];
    if (!last) return;
    const keepFrom = this.#speechStart ?? last.atMs + last.durationMs - this.#lookbackMs;
    let drop = 0;
    while (drop < this.#frames.length && this.#frames[drop]!.atMs < keepFrom) drop++;
    if (drop > 0) this.#frames.splice(0, drop);
  }
}

