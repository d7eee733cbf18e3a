/**
 * A speech synthesiser that produces plausible PCM without a voice, for
 * demo_flow and tests (shipped). Audio length follows the text (about 60 ms
 * per character, like speech at ~150 words per minute); the audio is a quiet
 * tone or silence, 16-bit mono, cut into chunks.
 */
import { pcmDurationMs, type PcmFormat } from "../../audio.js";
import { EngineError } from "../../engine-error.js";
import { aborted, sleep } from "../../sleep.js";
import type { TtsEngine } from "../types.js";

export interface ScriptedTtsOptions {
  /** Audio per character (ms). Default 60. */
  msPerChar?: number;
  /** Audio per chunk (ms). Default 250. */
  chunkMs?: number;
  /** Delay before the first chunk of each sentence (ms). Default 0. */
  firstChunkMs?: number;
  /** Delay before each further chunk (ms). Default 0. */
  chunkDelayMs?: number;
  /** "tone": a quiet 220 Hz sine; "silence": zeros. Default "silence". */
  sound?: "tone" | "silence";
  sampleRate?: number;
  /** Fail every sentence (or only sentence index `onSentence`) with this code. */
  failWith?: { code: string; message?: string; onSentence?: number };
  /** Never produce anything for sentence index `onSentence` (all when omitted); only an abort ends it. */
  hang?: { onSentence?: number } | boolean;
  name?: string;
  voice?: string;
}

/** One `synthesize` call as the engine saw it (for tests). */
export interface ScriptedTtsCall {
  text: string;
  signal: AbortSignal;
  chunks: number;
  bytes: number;
  /** True once every chunk of the sentence was yielded. */
  completed: boolean;
}

/** Scripted synthesiser; see the module comment. */
export class ScriptedTtsEngine implements TtsEngine {
  readonly name: string;
  readonly voice: string;
  readonly format: PcmFormat;
  readonly calls: ScriptedTtsCall[] = [];
  readonly #o: ScriptedTtsOptions;

  constructor(options: ScriptedTtsOptions = {}) {
    this.#o = options;
    this.name = options.name ?? "scripted";
    this.voice = options.voice ?? "none";
    this.format = { sample_rate: options.sampleRate ?? 16000, sample_type: "s16le", channels: 1 };
  }

  synthesize(text: string, options: { signal: AbortSignal }): AsyncIterable<Uint8Array> {
    const call: ScriptedTtsCall = { text, signal: options.signal, chunks: 0, bytes: 0, completed: false };
    this.calls.push(call);
    return this.#run(call, this.calls.length - 1, options.signal);
  }

  async *#run(call: ScriptedTtsCall, index: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const o = this.#o;
    const hits = (spec: { onSentence?: number } | boolean | undefined) =>
      spec === true || (typeof spec === "object" && (spec.onSentence === undefined || spec.onSentence === index));
    if (hits(o.hang)) {
      await aborted(signal);
      throw signal.reason instanceof Error ? signal.reason : new DOMException("The operation was aborted", "AbortError");
    }
    await sleep(o.firstChunkMs ?? 0, signal);
    if (o.failWith && (o.failWith.onSentence === undefined || o.failWith.onSentence === index)) {
      throw new EngineError(o.failWith.code, o.failWith.message ?? "Scripted synthesiser failure");
    }
    const totalSamples = Math.max(1, Math.round(((call.text.length * (o.msPerChar ?? 60)) / 1000) * this.format.sample_rate));
    const perChunk = Math.max(1, Math.round(((o.chunkMs ?? 250) / 1000) * this.format.sample_rate));
    let written = 0;
    while (written < totalSamples) {
      if (written > 0) await sleep(o.chunkDelayMs ?? 0, signal);
      const n = Math.min(perChunk, totalSamples - written);
      const pcm = new Uint8Array(n * 2);
      if (o.sound === "tone") {
        const view = new DataView(pcm.buffer);
        for (let i = 0; i < n; i++) {
          const t = (written + i) / this.format.sample_rate;
          view.setInt16(i * 2, Math.round(Math.sin(2 * Math.PI * 220 * t) * 3000), true);
        }
      }
      written += n;
      call.chunks++;
      call.bytes += pcm.byteLength;
      yield pcm;
    }
    call.completed = true;
  }

  /** Duration of `bytes` of this engine's audio, in ms. */
  durationMs(bytes: number): number {
    return pcmDurationMs(bytes, this.format);
  }

  async close(): Promise<void> {}
}

