/**
 * OpenAI-compatible speech engine: POST {baseUrl}/audio/speech with
 * `{model, input, voice, response_format, speed?}` and stream the response
 * body as PCM. Serves Kokoro-FastAPI, openedai-speech, speaches and hosted
 * APIs.
 *
 * - response_format "pcm" (default): the body is raw s16le mono at
 *   `sampleRate` (OpenAI and Kokoro send 24000 Hz).
 * - response_format "wav": the header is stripped as it streams; if the WAV
 *   says another rate or layout than `sampleRate`/s16le/mono, each chunk is
 *   converted to the announced format (set `sampleRate` to the server's rate
 *   to avoid that).
 * Chunks are yielded as they arrive, always whole samples. `timeoutMs`
 * bounds the wait for the response headers and for each body chunk after.
 */
import type { Logger } from "../logger.js";
import type { PcmFormat } from "../audio.js";
import { convertPcm } from "../audio-resample.js";
import { EngineError } from "../engine-error.js";
import { abortError, checkBaseUrl, joinUrl } from "../http.js";
import { httpFailure, speechFetchFailure, type SpeechServiceInfo } from "../speech-shared.js";
import { stripWavHeader } from "../wav.js";
import type { TtsEngine } from "./types.js";

/** Options of the OpenAI-compatible speech engine. */
export interface OpenAiTtsOptions {
  /** API root including the version, e.g. "http://127.0.0.1:8880/v1" (Kokoro-FastAPI) or "https://api.openai.com/v1". */
  baseUrl: string;
  /** Default "tts-1" (Kokoro-FastAPI: "kokoro"). */
  model?: string;
  /** Default "alloy" (Kokoro-FastAPI: e.g. "af_bella"). */
  voice?: string;
  /** Default "pcm". */
  responseFormat?: "pcm" | "wav";
  /** Sample rate of the PCM the server sends (and of what this engine yields). Default 24000. */
  sampleRate?: number;
  /** Speaking speed multiplier sent as `speed` when set (0.25..4). */
  speed?: number;
  /** Sent as `Authorization: Bearer ...`; never logged or put in errors. */
  apiKey?: string;
  /** Deadline for the response headers and for each body chunk, in ms. Default 30000. */
  timeoutMs?: number;
  logger?: Logger;
}

/**
 * Speech from an OpenAI-compatible `/audio/speech` endpoint.
 * @example new OpenAiTts({ baseUrl: "http://127.0.0.1:8880/v1", model: "kokoro", voice: "af_bella" })
 */
export class OpenAiTts implements TtsEngine {
  readonly name = "openai";
  readonly voice: string;
  readonly model: string;
  readonly format: PcmFormat;
  readonly #responseFormat: "pcm" | "wav";
  readonly #speed: number | undefined;
  readonly #apiKey: string | undefined;
  readonly #info: SpeechServiceInfo;
  readonly #logger: Logger | undefined;

  constructor(options: OpenAiTtsOptions) {
    checkBaseUrl(options.baseUrl, "speech");
    this.model = options.model ?? "tts-1";
    this.voice = options.voice ?? "alloy";
    this.#responseFormat = options.responseFormat ?? "pcm";
    const sampleRate = options.sampleRate ?? 24000;
    if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 192000) throw new TypeError("speech sampleRate must be an integer from 8000 to 192000");
    if (options.speed !== undefined && !(options.speed >= 0.25 && options.speed <= 4)) throw new TypeError("speech speed must be between 0.25 and 4");
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!(timeoutMs > 0)) throw new TypeError("speech timeoutMs must be positive");
    this.format = { sample_rate: sampleRate, sample_type: "s16le", channels: 1 };
    this.#speed = options.speed;
    this.#apiKey = options.apiKey;
    this.#logger = options.logger;
    this.#info = { service: "speech server", baseUrl: options.baseUrl, timeoutMs };
  }

  async *synthesize(text: string, { signal }: { signal: AbortSignal }): AsyncGenerator<Uint8Array> {
    if (signal.aborted) throw abortError(signal);
    if (!/\S/.test(text)) return;
    // One timer re-armed for every wait: headers first, then each body chunk.
    const timer = new AbortController();
    let timedOut = false;
    let handle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(handle);
      handle = setTimeout(() => {
        timedOut = true;
        timer.abort(new DOMException("deadline passed", "TimeoutError"));
      }, this.#info.timeoutMs);
    };
    const deadline = { signal: AbortSignal.any([signal, timer.signal]), timedOut: () => timedOut && !signal.aborted, dispose: () => clearTimeout(handle) };
    try {
      arm();
      let response: Response;
      try {
        response = await fetch(joinUrl(this.#info.baseUrl, "audio/speech"), {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(this.#apiKey ? { authorization: `Bearer ${this.#apiKey}` } : {}),
          },
          body: JSON.stringify({
            model: this.model,
            input: text,
            voice: this.voice,
            response_format: this.#responseFormat,
            ...(this.#speed !== undefined ? { speed: this.#speed } : {}),
          }),
          signal: deadline.signal,
        });
      } catch (err) {
        throw speechFetchFailure(err, signal, deadline, this.#info);
      }
      if (!response.ok) {
        const failure = await httpFailure(response, this.#info, this.model);
        this.#logger?.warn("speech server refused a request", { status: response.status, code: failure.code });
        throw failure;
      }
      if (response.body === null) return;
      const body = readBody(response.body, arm);
      let announced: PcmFormat = this.format;
      const pcm = this.#responseFormat === "wav" ? stripWavHeader(body, (f) => (announced = f)) : body;
      const aligner = new SampleAligner();
      try {
        for await (const raw of pcm) {
          if (signal.aborted) throw abortError(signal);
          const source = announced;
          const whole = aligner.push(raw, source.sample_type === "s16le" ? 2 * source.channels : 4 * source.channels);
          if (whole.byteLength === 0) continue;
          yield sameFormat(source, this.format) ? whole : convertPcm(whole, source, this.format);
        }
      } catch (err) {
        if (err instanceof EngineError && err.code === "audio_error") throw err;
        throw speechFetchFailure(err, signal, deadline, this.#info);
      }
      if (signal.aborted) throw abortError(signal);
    } finally {
      deadline.dispose();
    }
  }

  async close(): Promise<void> {
    // Stateless: each sentence is one request.
  }
}

async function* readBody(body: ReadableStream<Uint8Array>, onChunk: () => void): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onChunk();
      if (value.byteLength > 0) yield value;
    }
  } finally {
    // Cancel the body if the consumer stopped early (abort, error, break).
    await reader.cancel().catch(() => {});
  }
}

/** Keeps chunks to whole frames: a byte split off the end waits for the next chunk. */
class SampleAligner {
  #carry = new Uint8Array(0);
  push(chunk: Uint8Array, frameBytes: number): Uint8Array {
    let data = chunk;
    if (this.#carry.byteLength > 0) {
      data = new Uint8Array(this.#carry.byteLength + chunk.byteLength);
      data.set(this.#carry, 0);
      data.set(chunk, this.#carry.byteLength);
    }
    const whole = data.byteLength - (data.byteLength % frameBytes);
    this.#carry = data.slice(whole);
    return data.subarray(0, whole);
  }
}

function sameFormat(a: PcmFormat, b: PcmFormat): boolean {
  return a.sample_rate === b.sample_rate && a.sample_type === b.sample_type && a.channels === b.channels;
}
