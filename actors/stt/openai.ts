/**
 * OpenAI-compatible transcription engine: POST {baseUrl}/audio/transcriptions
 * as multipart/form-data (`file` = a WAV of 16 kHz s16le mono, `model`,
 * `language` when set, `response_format=json`) and read `{"text": ...}`.
 * Serves faster-whisper-server/speaches, whisper.cpp's server and hosted
 * APIs.
 *
 * These servers transcribe whole files, not streams. Partials therefore come
 * from re-transcribing the growing buffer: whenever `partialIntervalMs`
 * (default 1000 ms) of audio has arrived since the last partial request was
 * sent, and no partial request is in flight, the whole buffer so far is sent
 * again; a non-empty answer that differs from the previous partial becomes a
 * `partial` update. When the audio ends, an in-flight partial request is
 * cancelled and the whole utterance is transcribed once more for the `final`
 * (confidence null: the json response carries none). A failing partial
 * request fails the utterance at once (the final would fail the same way).
 *
 * Audio beyond `maxUtteranceMs` (default 120 s) is not buffered; the final
 * covers the first `maxUtteranceMs`. An utterance with no audio at all ends
 * with an empty final without a request.
 */
import type { Logger } from "../logger.js";
import { z } from "zod";
import { INPUT_PCM, type PcmFormat } from "../audio.js";
import { convertPcm } from "../audio-resample.js";
import { EngineError } from "../engine-error.js";
import { abortError, checkBaseUrl, joinUrl, startDeadline } from "../http.js";
import { httpFailure, speechFetchFailure, type SpeechServiceInfo } from "../speech-shared.js";
import { concatBytes, encodeWav } from "../wav.js";
import type { SttEngine, SttUpdate, TranscribeOptions } from "./types.js";

/** Options of the OpenAI-compatible transcription engine. */
export interface OpenAiSttOptions {
  /** API root including the version, e.g. "http://127.0.0.1:8000/v1" (speaches) or "http://127.0.0.1:8080/v1". */
  baseUrl: string;
  /** Default "whisper-1" (speaches: e.g. "Systran/faster-whisper-small"). */
  model?: string;
  /** ISO-639-1 language hint, e.g. "en"; omitted by default (the server detects it). */
  language?: string;
  /** Sent as `Authorization: Bearer ...`; never logged or put in errors. */
  apiKey?: string;
  /** Audio between partial re-transcriptions, in ms; 0 turns partials off. Default 1000. */
  partialIntervalMs?: number;
  /** Deadline of each request, in ms. Default 30000. */
  timeoutMs?: number;
  /** Longest utterance buffered, in ms. Default 120000. */
  maxUtteranceMs?: number;
  logger?: Logger;
}

const TranscriptionSchema = z.object({ text: z.string() });

type Step =
  | { kind: "audio"; result: IteratorResult<Uint8Array> }
  | { kind: "partial"; text: string }
  | { kind: "partial_failed"; error: unknown }
  | { kind: "aborted" };

/**
 * Transcription through an OpenAI-compatible HTTP server.
 * @example new OpenAiStt({ baseUrl: "http://127.0.0.1:8000/v1", model: "Systran/faster-whisper-small", language: "en" })
 */
export class OpenAiStt implements SttEngine {
  readonly name = "openai";
  readonly model: string;
  readonly partialIntervalMs: number;
  readonly #language: string | undefined;
  readonly #apiKey: string | undefined;
  readonly #maxUtteranceMs: number;
  readonly #info: SpeechServiceInfo;
  readonly #logger: Logger | undefined;

  constructor(options: OpenAiSttOptions) {
    checkBaseUrl(options.baseUrl, "transcription");
    this.model = options.model ?? "whisper-1";
    this.partialIntervalMs = options.partialIntervalMs ?? 1000;
    this.#language = options.language;
    this.#apiKey = options.apiKey;
    this.#maxUtteranceMs = options.maxUtteranceMs ?? 120_000;
    this.#logger = options.logger;
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!(this.partialIntervalMs >= 0)) throw new TypeError("transcription partialIntervalMs must be 0 (off) or positive");
    if (!(timeoutMs > 0)) throw new TypeError("transcription timeoutMs must be positive");
    if (!(this.#maxUtteranceMs > 0)) throw new TypeError("transcription maxUtteranceMs must be positive");
    this.#info = { service: "transcription server", baseUrl: options.baseUrl, timeoutMs };
  }

  async *transcribe(audio: AsyncIterable<Uint8Array>, { signal, format }: TranscribeOptions): AsyncGenerator<SttUpdate> {
    if (signal.aborted) throw abortError(signal);
    const bytesPerMs = (format.sample_rate * format.channels * (format.sample_type === "s16le" ? 2 : 4)) / 1000;
    const maxBytes = Math.floor(this.#maxUtteranceMs * bytesPerMs);
    const intervalBytes = this.partialIntervalMs > 0 ? Math.floor(this.partialIntervalMs * bytesPerMs) : Infinity;
    const chunks: Uint8Array[] = [];
    let buffered = 0;
    let bufferedAtLastPartial = 0;
    let lastPartial = "";
    let partial: { controller: AbortController; result: Promise<Step> } | null = null;
    let nextAudio: Promise<Step> | null = null;
    let audioDone = false;
    const iterator = audio[Symbol.asyncIterator]();
    let onAbort = () => {};
    const aborted = new Promise<Step>((resolve) => {
      onAbort = () => resolve({ kind: "aborted" });
      signal.addEventListener("abort", onAbort, { once: true });
    });

    try {
      while (!audioDone) {
        nextAudio ??= iterator.next().then((result): Step => ({ kind: "audio", result }));
        const step = await Promise.race([nextAudio, aborted, ...(partial ? [partial.result] : [])]);
        if (signal.aborted || step.kind === "aborted") throw abortError(signal);
        if (step.kind === "audio") {
          nextAudio = null;
          if (step.result.done) {
            audioDone = true;
            break;
          }
          const room = maxBytes - buffered;
          if (room > 0) {
            const chunk = step.result.value.byteLength > room ? step.result.value.subarray(0, room) : step.result.value;
            chunks.push(chunk);
            buffered += chunk.byteLength;
          }
          if (partial === null && buffered - bufferedAtLastPartial >= intervalBytes) {
            bufferedAtLastPartial = buffered;
            const controller = new AbortController();
            const pcm = concatBytes(...chunks);
            partial = {
              controller,
              result: this.#request(pcm, format, AbortSignal.any([signal, controller.signal])).then(
                (text): Step => ({ kind: "partial", text }),
                (error: unknown): Step => ({ kind: "partial_failed", error }),
              ),
            };
          }
        } else if (step.kind === "partial") {
          partial = null;
          const text = step.text.trim();
          if (text !== "" && text !== lastPartial) {
            lastPartial = text;
            yield { kind: "partial", text };
          }
        } else {
          partial = null;
          throw step.error;
        }
      }
      // The final supersedes any partial still on its way.
      partial?.controller.abort();
      partial = null;
      if (buffered === 0) {
        yield { kind: "final", text: "", confidence: null };
        return;
      }
      const text = await this.#request(concatBytes(...chunks), format, signal);
      yield { kind: "final", text: text.trim(), confidence: null };
    } finally {
      signal.removeEventListener("abort", onAbort);
      partial?.controller.abort();
      // Release the source if we stop before it ended (abort, error, consumer break).
      if (!audioDone) void iterator.return?.()?.catch(() => {});
    }
  }

  async close(): Promise<void> {
    // Stateless: each request stands alone.
  }

  /** One transcription request for `pcm` (in `format`), uploaded as 16 kHz s16le mono WAV. */
  async #request(pcm: Uint8Array, format: PcmFormat, caller: AbortSignal): Promise<string> {
    const wav = encodeWav(convertPcm(pcm, format, INPUT_PCM), INPUT_PCM);
    const form = new FormData();
    form.append("file", new Blob([wav as Uint8Array<ArrayBuffer>], { type: "audio/wav" }), "audio.wav");
    form.append("model", this.model);
    if (this.#language) form.append("language", this.#language);
    form.append("response_format", "json");
    const deadline = startDeadline(caller, this.#info.timeoutMs);
    try {
      let response: Response;
      let body: unknown;
      try {
        response = await fetch(joinUrl(this.#info.baseUrl, "audio/transcriptions"), {
          method: "POST",
          headers: this.#apiKey ? { authorization: `Bearer ${this.#apiKey}` } : {},
          body: form,
          signal: deadline.signal,
        });
        if (!response.ok) {
          const failure = await httpFailure(response, this.#info, this.model);
          this.#logger?.warn("transcription server refused a request", { status: response.status, code: failure.code });
          throw failure;
        }
        body = await response.json().catch((err: unknown) => {
          if (deadline.signal.aborted) throw err;
          throw new EngineError("engine_error", `The transcription server at ${this.#info.baseUrl} answered with something that is not JSON.`, { cause: err });
        });
      } catch (err) {
        throw speechFetchFailure(err, caller, deadline, this.#info);
      }
      const parsed = TranscriptionSchema.safeParse(body);
      if (!parsed.success) {
        throw new EngineError("engine_error", `The transcription server at ${this.#info.baseUrl} answered without a "text" string.`);
      }
      return parsed.data.text;
    } finally {
      deadline.dispose();
    }
  }
}
