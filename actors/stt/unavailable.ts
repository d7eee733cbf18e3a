/**
 * The speech-to-text engine used when none is configured or installed. It
 * never invents a transcript: `transcribe` fails at once with EngineError
 * `stt_unavailable` and a message saying how to configure recognition, so
 * `stt_start` is answered with that `stt_error` while typed input keeps
 * working.
 */
import { EngineError } from "../engine-error.js";
import { abortError } from "../http.js";
import type { SttEngine, SttUpdate, TranscribeOptions } from "./types.js";

/** What the user is told when speech recognition is not available. */
export const STT_UNAVAILABLE_MESSAGE =
  "Speech recognition is not configured. Install PocketSphinx for offline recognition " +
  "(Debian/Ubuntu: apt-get install pocketsphinx pocketsphinx-en-us) or set a transcription server URL " +
  "(an OpenAI-compatible /v1/audio/transcriptions endpoint such as speaches or whisper.cpp's server). " +
  "Typed input still works.";

/** An SttEngine named "none" that refuses every utterance with `stt_unavailable`. */
export class UnavailableStt implements SttEngine {
  readonly name = "none";
  readonly #message: string;

  /** @param message replaces the default explanation (e.g. to name the missing setting). */
  constructor(message: string = STT_UNAVAILABLE_MESSAGE) {
    this.#message = message;
  }

  // eslint-disable-next-line require-yield
  async *transcribe(_audio: AsyncIterable<Uint8Array>, { signal }: TranscribeOptions): AsyncGenerator<SttUpdate> {
    if (signal.aborted) throw abortError(signal);
    // The audio is deliberately not read: nothing listens, nothing is buffered.
    throw new EngineError("stt_unavailable", this.#message);
  }

  async close(): Promise<void> {}
}
