/**
 * A speech recogniser that "hears" scripted utterances: the recogniser of
 * demo_flow turns (a product feature), also used by tests and shipped so UIs
 * can be tested without a microphone (actors/stt/testing/ re-exports it). Each
 * `transcribe` call takes the next utterance and reports it word by word as
 * partial results, then the final one. With no utterance left it waits for
 * the audio to end and reports that nothing was heard (an empty final).
 */
import { INPUT_PCM, type PcmFormat } from "../audio.js";
import { EngineError } from "../engine-error.js";
import { aborted, sleep } from "../sleep.js";
import type { AudioSource, SttEngine, SttUpdate, TranscribeOptions } from "./types.js";

export interface ScriptedSttOptions {
  /** Utterances heard by successive `transcribe` calls. */
  utterances?: string[];
  /** Delay before each partial result (ms). Default 0. */
  partialDelayMs?: number;
  /** Delay between the last partial and the final result (ms). Default: `partialDelayMs`. */
  finalDelayMs?: number;
  /** Hold the final result until the audio stream ends (push-to-talk ended by stt_stop). Default false. */
  waitForAudioEnd?: boolean;
  /** Confidence reported with each final. Default 0.92. */
  confidence?: number;
  /** Fail every call with this EngineError code after the partials. */
  failWith?: { code: string; message?: string };
  /** Never produce anything; only an abort ends the call. */
  hang?: boolean;
  /** Engine name reported in events. Default "scripted". */
  name?: string;
}

/** One `transcribe` call as the engine saw it (for tests). */
export interface ScriptedSttCall {
  utterance: string | null;
  signal: AbortSignal;
  /** Audio chunks received before the call finished. */
  chunks: number;
  /** Updates yielded, in order. */
  yielded: SttUpdate[];
}

/** Scripted recogniser; see the module comment. */
export class ScriptedSttEngine implements SttEngine {
  readonly name: string;
  readonly calls: ScriptedSttCall[] = [];
  readonly #queue: string[];
  readonly #options: ScriptedSttOptions;

  constructor(options: ScriptedSttOptions = {}) {
    this.#options = options;
    this.name = options.name ?? "scripted";
    this.#queue = [...(options.utterances ?? [])];
  }

  /** Queue one more utterance for a later call. */
  hear(text: string): void {
    this.#queue.push(text);
  }

  transcribe(audio: AsyncIterable<Uint8Array>, options: TranscribeOptions): AsyncIterable<SttUpdate> {
    const call: ScriptedSttCall = { utterance: this.#queue.shift() ?? null, signal: options.signal, chunks: 0, yielded: [] };
    this.calls.push(call);
    return this.#run(call, audio, options.signal);
  }

  async *#run(call: ScriptedSttCall, audio: AsyncIterable<Uint8Array>, signal: AbortSignal): AsyncGenerator<SttUpdate> {
    const o = this.#options;
    const step = o.partialDelayMs ?? 0;
    // Drain the audio in the background so a client stream never backs up.
    let audioEnded = false;
    const drained = (async () => {
      for await (const _chunk of audio) {
        call.chunks++;
        if (signal.aborted) break;
      }
      audioEnded = true;
    })().catch(() => {
      audioEnded = true;
    });
    if (o.hang) {
      await aborted(signal);
      throw signal.reason instanceof Error ? signal.reason : new DOMException("The operation was aborted", "AbortError");
    }
    const emit = (u: SttUpdate) => {
      call.yielded.push(u);
      return u;
    };
    if (call.utterance === null) {
      // Nothing to hear: listen until the audio ends, then report silence.
      await Promise.race([drained, aborted(signal)]);
      signal.throwIfAborted();
      yield emit({ kind: "final", text: "", confidence: null });
      return;
    }
    const words = call.utterance.split(/\s+/).filter(Boolean);
    for (let i = 1; i <= words.length; i++) {
      await sleep(step, signal);
      yield emit({ kind: "partial", text: words.slice(0, i).join(" ") });
    }
    if (o.failWith) throw new EngineError(o.failWith.code, o.failWith.message ?? "Scripted recogniser failure");
    if (o.waitForAudioEnd && !audioEnded) await Promise.race([drained, aborted(signal)]);
    await sleep(o.finalDelayMs ?? step, signal);
    yield emit({ kind: "final", text: words.join(" "), confidence: o.confidence ?? 0.92 });
  }

  async close(): Promise<void> {}
}

/** An audio source that produces no audio and ends at once (demo turns, text-only setups). */
export function silentAudioSource(kind: AudioSource["kind"] = "scripted", format: PcmFormat = INPUT_PCM): AudioSource {
  return {
    kind,
    format,
    async *open() {},
  };
}
