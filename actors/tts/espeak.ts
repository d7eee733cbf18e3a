/**
 * The eSpeak NG engine: eSpeak NG compiled to WebAssembly (npm package
 * `espeak-ng`), run in a pool of worker threads (synth-worker.ts) so synthesis
 * never blocks the event loop and several sessions are served at once. No
 * system install, no network, no model download. Formant synthesis: fast
 * and available in about a hundred languages, but harder to follow than
 * Flite, which is the default for English (docs/engines-speech.md).
 *
 * - Output is ESPEAK_PCM (22.05 kHz, s16le, mono), yielded in `chunkMs` slices.
 * - Abort, reuse, the pool and close behave as SynthWorker describes.
 */
import type { PcmFormat } from "../audio.js";
import type { Logger } from "../logger.js";
import { ESPEAK_PCM, type EspeakVoiceSettings } from "./espeak-wasm.js";
import { type SynthWorkerStats, WorkerTtsEngine } from "./synth-worker.js";
import type { TtsEngine } from "./types.js";

/** Options of the eSpeak NG engine; every field has a default. */
export interface EspeakTtsOptions {
  /** eSpeak NG voice, e.g. "en-us", "en-gb", "fr", "en-us+f3" (variant after "+"). Default "en-us". */
  voice?: string;
  /** Words per minute, 80..450. Default 175 (eSpeak's own default). */
  rate?: number;
  /** Pitch, 0..99. Default 50. */
  pitch?: number;
  /** Length of each yielded PCM chunk in milliseconds, 10..2000. Default 100. */
  chunkMs?: number;
  /** Most worker threads, i.e. sentences synthesised at the same time (docs/engines-speech.md, Pools). Default: the core count. */
  poolSize?: number;
  /** How long the worker may take to load the WASM before requests fail with `timeout`. Default 20000. */
  startTimeoutMs?: number;
  logger?: Logger;
}

/** Counters that show the worker is reused (tests, system info, bench). */
export type EspeakStats = SynthWorkerStats;

const VOICE_PATTERN = /^[A-Za-z0-9_\-+/]{1,64}$/;

/**
 * eSpeak NG in a worker thread.
 * @example
 * const tts = new EspeakTts({ voice: "en-gb", rate: 160 });
 * for await (const pcm of tts.synthesize("Hello.", { signal })) speaker.write(pcm);
 * await tts.close();
 */
export class EspeakTts extends WorkerTtsEngine<EspeakVoiceSettings> implements TtsEngine {
  readonly name = "espeak-ng";
  readonly voice: string;
  readonly format: PcmFormat = ESPEAK_PCM;
  readonly rate: number;
  readonly pitch: number;

  constructor(options: EspeakTtsOptions = {}) {
    const voice = options.voice ?? "en-us";
    const rate = options.rate ?? 175;
    const pitch = options.pitch ?? 50;
    const chunkMs = options.chunkMs ?? 100;
    if (!VOICE_PATTERN.test(voice)) throw new TypeError(`espeak voice "${voice}" is not a valid voice name`);
    if (!Number.isInteger(rate) || rate < 80 || rate > 450) throw new TypeError("espeak rate must be an integer from 80 to 450 (words per minute)");
    if (!Number.isInteger(pitch) || pitch < 0 || pitch > 99) throw new TypeError("espeak pitch must be an integer from 0 to 99");
    if (!(chunkMs >= 10 && chunkMs <= 2000)) throw new TypeError("espeak chunkMs must be between 10 and 2000");
    super({ script: "espeak-worker", label: "eSpeak NG", startTimeoutMs: options.startTimeoutMs ?? 20_000, poolSize: options.poolSize, logger: options.logger }, ESPEAK_PCM.sample_rate, chunkMs);
    this.voice = voice;
    this.rate = rate;
    this.pitch = pitch;
  }

  protected settings(): EspeakVoiceSettings {
    return { voice: this.voice, rate: this.rate, pitch: this.pitch };
  }
}
