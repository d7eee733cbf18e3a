/**
 * The text-to-speech engine interface: one sentence in, PCM chunks out as an
 * async iterable, AbortSignal to cancel.
 */
import type { PcmFormat } from "../contracts/index.js";

export interface TtsEngine {
  /** Engine name, e.g. "espeak-ng", "openai", "scripted". */
  readonly name: string;
  readonly voice: string;
  /** Format of every chunk `synthesize` yields. */
  readonly format: PcmFormat;
  /** Synthesise one sentence. Aborting `signal` stops it promptly; errors are EngineError. */
  synthesize(text: string, options: { signal: AbortSignal }): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}
