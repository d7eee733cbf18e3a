/**
 * The speech-to-text engine interface: audio in as an async iterable of PCM
 * chunks, transcript updates out as an async iterable, AbortSignal to cancel.
 */
import type { AudioSourceKind, PcmFormat, SttUpdate } from "../contracts/index.js";

export type { SttUpdate } from "../contracts/index.js";

export interface TranscribeOptions {
  signal: AbortSignal;
  /** Format of the chunks in `audio`. */
  format: PcmFormat;
  /**
   * Engines whose work is bounded by a pool (PocketSphinx: N processes at
   * once) call this with how long the utterance waited for a free slot (ms;
   * 0 when one was free) when it gets one. Others never call it. The STT
   * actor reports it (`stt.final` `queuedMs`).
   */
  onQueued?: (queuedMs: number) => void;
}

export interface SttEngine {
  /** Short engine name shown in events and system_info, e.g. "pocketsphinx". */
  readonly name: string;
  /**
   * Transcribe one utterance. The iterable ends after exactly one `final`
   * update (or throws EngineError). When `audio` ends, the engine finishes
   * the utterance with what it has. Aborting `signal` stops it promptly.
   */
  transcribe(audio: AsyncIterable<Uint8Array>, options: TranscribeOptions): AsyncIterable<SttUpdate>;
  close(): Promise<void>;
}

/** Where the audio of an utterance comes from (client stream, microphone, file, nothing). */
export interface AudioSource {
  readonly kind: AudioSourceKind;
  readonly format: PcmFormat;
  /** Open a stream of PCM chunks that ends when the source ends or `signal` aborts. */
  open(signal: AbortSignal): AsyncIterable<Uint8Array>;
}
