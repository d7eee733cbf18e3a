/**
 * A session's microphone audio from its clients (binary frames): each frame
 * goes to the utterance being heard, to the barge-in watch while the turn
 * answers (barge-in-watch.ts), is dropped quietly when nobody hears it, or
 * is refused (`unexpected_binary`) when its client does not own the audio.
 *
 * Who owns the audio is the session machine's (`audioOwner`, set by
 * stt_start, cleared when the voice session ends or the owner leaves); this
 * module follows it into the client audio source (actors/stt/sources.ts).
 * The one thing the machine cannot hold is time: when the owner's
 * utterance ended, for the end grace (actors/stt/end-grace.ts), during
 * which that client's late frames and its stt_stop are taken quietly.
 */
import { END_GRACE_MS } from "../../actors/stt/end-grace.js";
import type { ClientAudioSource } from "../../actors/stt/sources.js";
import type { Phase } from "../../machines/voice-types.js";
import { ProtocolError } from "../protocol/index.js";
import type { BargeInWatch, WatchedSession } from "./barge-in-watch.js";

/** What audio intake reads of the session machine. */
export interface AudioSession extends WatchedSession {
  phase: Phase;
  audioOwner: string | null;
}

export interface AudioInOptions {
  /** The client stream utterances read; null when voice turns hear another source (microphone, file): frames are then refused. */
  source: ClientAudioSource | null;
  watch: BargeInWatch;
  /** Monotonic clock (ms) of the end grace. */
  now: () => number;
}

export class AudioIn {
  readonly #source: ClientAudioSource | null;
  readonly #watch: BargeInWatch;
  readonly #now: () => number;
  /** The owner whose utterance is being heard (the session listens), as last followed. */
  #listening: string | null = null;
  /** The last utterance that ended: its owner and when. */
  #ended: { client: string; at: number } | null = null;

  constructor(options: AudioInOptions) {
    this.#source = options.source;
    this.#watch = options.watch;
    this.#now = options.now;
  }

  /**
   * Follow the session machine after each of its steps: its audio owner
   * (into the client source) and the end of the owner's utterance (for the
   * grace).
   */
  follow(s: Pick<AudioSession, "phase" | "audioOwner">): void {
    const listening = s.phase === "listening" ? s.audioOwner : null;
    if (this.#listening !== null && listening !== this.#listening) this.#ended = { client: this.#listening, at: this.#now() };
    this.#listening = listening;
    if (this.#source && this.#source.owner !== s.audioOwner) this.#source.owner = s.audioOwner;
  }

  /** True within the end grace after `clientId`'s utterance ended. */
  withinGrace(clientId: string): boolean {
    return this.#ended !== null && this.#ended.client === clientId && this.#now() - this.#ended.at <= END_GRACE_MS;
  }

  /**
   * A frame from `clientId`.
   * @throws ProtocolError `unexpected_binary` when no stream from that client is open (outside the end grace).
   */
  push(s: AudioSession, clientId: string, chunk: Uint8Array): void {
    if (!this.#source || s.audioOwner !== clientId || s.listenMode === null) {
      // Frames that were in flight when the utterance ended are dropped quietly.
      if (this.withinGrace(clientId)) return;
      throw new ProtocolError("unexpected_binary", "No audio stream is open for this connection; send stt_start first");
    }
    // While the answer plays, the owner's speech may interrupt it; otherwise frames go to the utterance (or are dropped when none is open).
    if (this.#watch.frame(s, clientId, chunk)) return;
    this.#source.push(chunk);
  }
}
