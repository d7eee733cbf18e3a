/**
 * `--speak`: plays each turn's synthesised speech on this machine's speakers
 * through a local player, paced by the playout (server/pipeline/playout.ts) like any
 * audio consumer. An interrupted turn's player is killed; a finished turn's
 * player is given the end of its audio and plays out.
 */
import type { PcmFormat } from "../../actors/audio.js";
import { playPcm, type Player } from "../../actors/tts/player.js";
import type { Logger } from "../app/logger.js";
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

/**
 * Start playing the pipeline's speech; returns a function that stops it.
 * The speakers are one audio consumer of the playout (paced like a client)
 * and the truth about what was heard there: they report `ended` when the
 * player has played a turn to its end and exited, `stopped` when it failed.
 */
export function playOnSpeakers(pipeline: Required<Pick<Pipeline, "openAudioOutput">>, format: PcmFormat, player: Player, logger: Logger): () => void {
  let current: { turnId: string; queue: ChunkQueue; abort: AbortController; ms: number } | undefined;
  const cut = (turnId?: string) => {
    if (!current || (turnId !== undefined && current.turnId !== turnId)) return;
    current.abort.abort();
    current = undefined;
  };
  const output = pipeline.openAudioOutput(
    "speakers",
    {
      send(chunk) {
        if (current?.turnId !== chunk.turnId) {
          cut();
          const turn = { turnId: chunk.turnId, queue: new ChunkQueue(), abort: new AbortController(), ms: 0 };
          current = turn;
          playPcm(turn.queue, format, { signal: turn.abort.signal, player }).then(
            () => output.report({ turn_id: turn.turnId, state: "ended", position_ms: turn.ms }),
            (err: unknown) => {
              if (turn.abort.signal.aborted) return;
              logger.warn("speaker playback failed", { error: (err as Error).message });
              output.report({ turn_id: turn.turnId, state: "stopped", position_ms: 0 });
            },
          );
        }
        current.ms += chunk.audioMs;
        current.queue.push(chunk.pcm);
      },
      // The whole answer is in the player's queue: it plays out and exits.
      end(turnId) {
        if (current?.turnId === turnId) {
          current.queue.end();
          current = undefined;
        }
      },
      // Interrupted (stop_speaking, barge-in, shutdown): cut off, not played out.
      drop: (turnId) => cut(turnId),
    },
    { reports: true },
  );
  return () => {
    output.close();
    cut();
  };
}
