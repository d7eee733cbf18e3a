/**
 * Voice-activity detection: the contract every detector keeps, and the
 * endpointing rules they share. A detector decides where an utterance starts
 * and ends in a stream of PCM, so that listening (continuous and
 * push-to-talk) hands one utterance at a time to the recogniser. The STT
 * actor (actors/stt/actor.ts) runs one detector per utterance on client,
 * microphone and file audio.
 *
 * Two detectors implement it:
 * - Silero VAD v5, a small neural network (actors/stt/vad-silero.ts): the
 *   server's default;
 * - an energy threshold (actors/stt/vad-energy.ts): `--vad energy`, and the
 *   fallback when the model cannot load. It is also what a bare `VadOptions`
 *   means to createSttLogic / createBridge, which cannot load a model
 *   synchronously; actors/stt/vad-select.ts loads either.
 *
 * Endpointing (actors/stt/endpointer.ts), the same for both: the detector classifies each
 * frame as speech or not (energy: 20 ms frames; Silero: 32 ms).
 * - Speech starts after `startMs` of consecutive speech frames (so a click or
 *   a cough shorter than that is ignored). The start is dated to the first
 *   of those frames.
 * - Speech ends after `hangoverMs` of consecutive non-speech frames (the
 *   pause between words and sentences is shorter), or when the utterance
 *   reaches `maxUtteranceMs`.
 * Durations are rounded up to whole frames. No timers: time is counted in
 * audio, from the detector's creation (or last reset).
 */
import type { PcmFormat } from "../audio.js";
import type { SpeakerLevel } from "./vad-level-gate.js";

export { Endpointer, checkEndpointOptions } from "./endpointer.js";
export { EnergyVad, energyVadProvider, rmsS16, VAD_DEFAULTS } from "./vad-energy.js";

/** Detector thresholds; see the module comment for their meaning. Defaults: VAD_DEFAULTS (energy) and SILERO_DEFAULTS. */
export interface VadOptions {
  /** Energy detector only: frame length in ms. Default 20. */
  frameMs?: number;
  /** Speech threshold: RMS level 0..1 (energy) or speech probability 0..1 (Silero). */
  threshold?: number;
  /** Minimum speech: consecutive speech that starts an utterance. */
  startMs?: number;
  /** End-of-speech silence: consecutive non-speech that ends an utterance. */
  hangoverMs?: number;
  /** Maximum utterance: an utterance this long is ended anyway. */
  maxUtteranceMs?: number;
}

/** What the detector reports; times are milliseconds of audio since the detector started (or was reset). */
export type VadEvent =
  | { type: "speech_start"; atMs: number }
  | { type: "speech_end"; atMs: number; reason: "silence" | "max_length" };

/** Endpointing durations (ms). */
export type EndpointOptions = Required<Pick<VadOptions, "startMs" | "hangoverMs" | "maxUtteranceMs">>;

/** One frame as a detector classified it (for benchmarks and diagnostics). */
export interface VadFrame {
  /** Start of the frame, ms of audio since the detector started. */
  atMs: number;
  durationMs: number;
  /** The detector's score: RMS level (energy) or speech probability (Silero). */
  score: number;
  /** Whether the frame counted as speech. */
  speech: boolean;
  /** The frame's smoothed level in dB of full scale, when a level gate decided (actors/stt/vad-level-gate.ts). */
  levelDb?: number;
  /** How long the frame waited for a free model worker (ms; Silero's pool, absent for detectors without one). */
  queuedMs?: number;
}

/**
 * One stream's detector. Feed it PCM in order with `push`; it returns the
 * events the new audio caused. `push` may be asynchronous (Silero runs its
 * model off the main thread): await each call before the next.
 */
export interface SpeechDetector {
  /** "silero" or "energy". */
  readonly name: string;
  push(chunk: Uint8Array): VadEvent[] | Promise<VadEvent[]>;
  /** Forget everything, as if newly created (times restart at 0). */
  reset(): void;
  /** True between a speech_start and the following speech_end. */
  readonly inSpeech: boolean;
}

/** Options of `VadProvider.create`. */
export interface DetectorOptions {
  /** Sees every frame's score and decision. */
  onFrame?: (frame: VadFrame) => void;
  /** The conversation's speaker level, shared by its detectors (used by the level gate; others ignore it). */
  speaker?: SpeakerLevel;
}

/**
 * A configured detector kind, shared by all streams: `create` gives each
 * stream (each utterance, or a barge-in monitor) its own detector with its
 * own state. Built by actors/stt/vad-select.ts (`loadVad`) or `energyVadProvider`.
 */
export interface VadProvider {
  readonly name: "silero" | "energy";
  /** One line for the start-up output: which detector runs and why. */
  readonly description: string;
  /** The thresholds in force. */
  readonly options: Readonly<Required<Omit<VadOptions, "frameMs">>>;
  /** A detector for one stream of `format` audio (any rate, sample type and channel count). */
  create(format: PcmFormat, options?: DetectorOptions): SpeechDetector;
  /** Release the model (if any). Detectors already created may fail afterwards. */
  close(): Promise<void>;
}

/** True when `value` is a VadProvider rather than plain thresholds. */
export function isVadProvider(value: unknown): value is VadProvider {
  return typeof value === "object" && value !== null && typeof (value as VadProvider).create === "function";
}

/**
 * Pass audio through until the detector ends the utterance: yields every
 * chunk up to and including the one in which speech_end fell, then stops
 * (the source is released). Chunks before speech starts are passed too, so
 * the recogniser hears the onset. `onEvent` sees each VAD event.
 */
export async function* untilUtteranceEnd(
  audio: AsyncIterable<Uint8Array>,
  vad: SpeechDetector,
  onEvent?: (event: VadEvent) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of audio) {
    let ended = false;
    for (const event of await vad.push(chunk)) {
      onEvent?.(event);
      if (event.type === "speech_end") ended = true;
    }
    yield chunk;
    if (ended) return;
  }
}
