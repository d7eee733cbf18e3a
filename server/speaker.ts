/**
 * `--speak`: plays each turn's synthesised speech on this machine's speakers
 * through a local player. A new turn (barge-in) cuts the previous one off;
 * a turn's player is given the end of its audio on tts_result.
 */
import type { PcmFormat } from "../actors/audio.js";
import { playPcm, type Player } from "../actors/tts/player.js";
import type { Logger } from "./logger.js";
import type { Pipeline } from "./pipeline.js";

/** An unbounded-by-design but short-lived queue: one turn's audio, drained in real time by the player. */
class ChunkQueue implements AsyncIterable<Uint8Array> {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#wake?.();
  }
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const next = this.#chunks.shift();
      if (next) yield next;
      else if (this.#ended) return;
      else await new Promise<void>((r) => (this.#wake = r));
    }
  }
}

/** Start playing the pipeline's speech; returns a function that stops it. */
export function playOnSpeakers(pipeline: Required<Pick<Pipeline, "subscribe" | "subscribeAudio">>, format: PcmFormat, player: Player, logger: Logger): () => void {
  let current: { turnId: string; queue: ChunkQueue; abort: AbortController } | undefined;
  const finish = (cut: boolean) => {
    if (!current) return;
    if (cut) current.abort.abort();
    else current.queue.end();
    current = undefined;
  };
  const offAudio = pipeline.subscribeAudio((chunk) => {
    if (current?.turnId !== chunk.turnId) {
      finish(true);
      const turn = { turnId: chunk.turnId, queue: new ChunkQueue(), abort: new AbortController() };
      current = turn;
      playPcm(turn.queue, format, { signal: turn.abort.signal, player }).catch((err: unknown) => {
        if (!turn.abort.signal.aborted) logger.warn("speaker playback failed", { error: (err as Error).message });
      });
    }
    current.queue.push(chunk.pcm);
  });
  const offEvents = pipeline.subscribe((event) => {
    // An interrupted turn (stop_speaking, barge-in, shutdown) is cut off; a finished one plays out.
    if (event.type === "tts_result" && event.data.turn_id === current?.turnId) finish(event.data.interrupted);
    if (event.type === "turn_interrupted" && event.data.turn_id === current?.turnId) finish(true);
  });
  return () => {
    offAudio();
    offEvents();
    finish(true);
  };
}
