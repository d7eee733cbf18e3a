/**
 * A TTS engine that says nothing: for text-only setups (`--tts-engine none`).
 * The pipeline still reports tts_start / tts_result, with no audio.
 */
import type { PcmFormat } from "../audio.js";
import type { TtsEngine } from "./types.js";

export class NoSpeechTts implements TtsEngine {
  readonly name = "none";
  readonly voice = "none";
  readonly format: PcmFormat = { sample_rate: 16000, sample_type: "s16le", channels: 1 };

  // eslint-disable-next-line require-yield
  async *synthesize(_text: string, options: { signal: AbortSignal }): AsyncIterable<Uint8Array> {
    options.signal.throwIfAborted();
  }

  async close(): Promise<void> {}
}
