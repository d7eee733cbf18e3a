/**
 * The text-to-speech engine interface: one sentence in, PCM chunks out as an
 * async iterable, AbortSignal to cancel.
 */
import type { PcmFormat } from "../contracts/index.js";

/** Options of one `synthesize` call. */
export interface SynthesizeOptions {
  /** Aborting it stops the sentence promptly. */
  signal: AbortSignal;
  /**
   * Engines shared through a pool of workers (Flite, eSpeak NG) call this
   * once, before the first chunk, with how long the sentence waited for a
   * free worker (ms; 0 when one was free). Engines without a pool never
   * call it. The TTS actor reports it (`tts.chunk` `queuedMs`).
   */
  onQueued?: (queuedMs: number) => void;
}

export interface TtsEngine {
  /** Engine name, e.g. "espeak-ng", "openai", "scripted". */
  readonly name: string;
  readonly voice: string;
  /** Format of every chunk `synthesize` yields. */
  readonly format: PcmFormat;
  /** Synthesise one sentence. Aborting `signal` stops it promptly; errors are EngineError. */
  synthesize(text: string, options: SynthesizeOptions): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/** The engines `--tts-engine` accepts; `auto` is Flite unless the voice is not a Flite voice (actors/tts/select.ts). */
export const TTS_ENGINE_NAMES = ["auto", "flite", "espeak", "festival", "openai", "none"] as const;
export type TtsEngineName = (typeof TTS_ENGINE_NAMES)[number];
