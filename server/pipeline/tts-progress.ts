/**
 * tts_progress at the granularity a UI needs: the synthesiser's chunks
 * (often 100 ms of audio each) are folded into one event per sentence, or
 * one per `intervalMs` of audio within a sentence. The folded event carries
 * the same information as the chunks it covers: the first chunk's index,
 * how many chunks, their total audio and bytes, the sentence as written and
 * as spoken. A sentence boundary, the end of speech (tts_result / tts_error)
 * and the end of the turn always flush what is pending.
 */
import { round3 } from "../../actors/round3.js";
import type { EventData } from "../protocol/index.js";

/** One synthesised chunk, as the machine reports it. */
export interface ProgressChunk {
  turnId: string;
  sentenceIndex: number;
  chunkIndex: number;
  text: string;
  spoken: string;
  audioMs: number;
  bytes: number;
}

type Progress = EventData<"tts_progress">;

export class TtsProgressFolder {
  readonly #intervalMs: number;
  #pending: Progress | null = null;

  /** `intervalMs` 0: one event per sentence; N > 0: one per N ms of audio (and at each sentence end). */
  constructor(intervalMs: number) {
    if (!(Number.isFinite(intervalMs) && intervalMs >= 0)) throw new TypeError("tts progress interval must be a non-negative number of ms");
    this.#intervalMs = intervalMs;
  }

  /** Add a chunk; returns the events it completes (0, 1 or 2), in order. */
  add(c: ProgressChunk): Progress[] {
    const out: Progress[] = [];
    const p = this.#pending;
    if (p && (p.turn_id !== c.turnId || p.sentence_index !== c.sentenceIndex)) out.push(...this.flush());
    if (!this.#pending) {
      this.#pending = {
        turn_id: c.turnId,
        sentence_index: c.sentenceIndex,
        chunk_index: c.chunkIndex,
        chunks: 0,
        text: c.text,
        spoken: c.spoken,
        chars: c.text.length,
        audio_ms: 0,
        bytes: 0,
      };
    }
    const q = this.#pending!;
    q.chunks += 1;
    q.audio_ms = round3(q.audio_ms + c.audioMs);
    q.bytes += c.bytes;
    if (this.#intervalMs > 0 && q.audio_ms >= this.#intervalMs) out.push(...this.flush());
    return out;
  }

  /** The pending event, if any (call at the end of speech or of the turn). */
  flush(turnId?: string): Progress[] {
    const p = this.#pending;
    if (!p || (turnId !== undefined && p.turn_id !== turnId)) return [];
    this.#pending = null;
    return [p];
  }
}
