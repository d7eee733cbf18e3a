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
 *
 * It also keeps, per client, an utterance that another command cut while
 * it was being heard (a push-to-talk still held when a typed question took
 * over): until that client sends another command, is heard again (a
 * continuous session listening to it once more) or leaves, its release
 * (stt_stop) is answered `overtaken` (server/pipeline/commands.ts words
 * it), not a bare `invalid_state`, and its frames are dropped quietly for
 * as long as the utterance could have lasted (`overtakenQuietMs`, the
 * listening deadline), then refused as anyone's.
 */
import { END_GRACE_MS } from "../../actors/stt/end-grace.js";
import type { ClientAudioSource } from "../../actors/stt/sources.js";
import type { Phase, VoiceEmitted } from "../../machines/voice-types.js";
import { ProtocolError } from "../protocol/index.js";
import type { BargeInWatch, WatchedSession } from "./barge-in-watch.js";

/** What audio intake reads of the session machine. */
export interface AudioSession extends WatchedSession {
  phase: Phase;
  audioOwner: string | null;
}

/** A turn cut short, as the session machine announces it. */
type TurnCut = Extract<VoiceEmitted, { type: "turn.interrupted" }>;

/** A client's utterance that a command cut before it was heard (turn_interrupted outcome `utterance_dropped`): the cut turn, the turn that took over and the client that started it. */
export type OvertakenUtterance = Pick<TurnCut, "turnId" | "by" | "byClient">;

export interface AudioInOptions {
  /** The client stream utterances read; null when voice turns hear another source (microphone, file): frames are then refused. */
  source: ClientAudioSource | null;
  watch: BargeInWatch;
  /** Monotonic clock (ms) of the end grace. */
  now: () => number;
  /** How long after its utterance was cut a client's frames are still dropped quietly (ms): the listening deadline (sttMs). */
  overtakenQuietMs: number;
}

export class AudioIn {
  readonly #source: ClientAudioSource | null;
  readonly #watch: BargeInWatch;
  readonly #now: () => number;
  /** The owner whose utterance is being heard (the session listens), as last followed. */
  #listening: string | null = null;
  /** The last utterance that ended: its owner and when. */
  #ended: { client: string; at: number } | null = null;
  /** Per client, its utterance that another command cut (at most one per connected client: forgotten when it moves on or leaves). */
  readonly #overtaken = new Map<string, OvertakenUtterance & { at: number }>();
  readonly #overtakenQuietMs: number;

  constructor(options: AudioInOptions) {
    this.#source = options.source;
    this.#watch = options.watch;
    this.#now = options.now;
    this.#overtakenQuietMs = options.overtakenQuietMs;
  }

  /**
   * Follow the session machine after each of its steps: its audio owner
   * (into the client source) and the end of the owner's utterance (for the
   * grace).
   */
  follow(s: Pick<AudioSession, "phase" | "audioOwner">): void {
    const listening = s.phase === "listening" ? s.audioOwner : null;
    if (this.#listening !== null && listening !== this.#listening) this.#ended = { client: this.#listening, at: this.#now() };
    // Heard again (a continuous session listens to it once more): nothing of it is overtaken any more.
    if (listening !== null && listening !== this.#listening) this.#overtaken.delete(listening);
    this.#listening = listening;
    if (this.#source && this.#source.owner !== s.audioOwner) this.#source.owner = s.audioOwner;
  }

  /** True within the end grace after `clientId`'s utterance ended. */
  withinGrace(clientId: string): boolean {
    return this.#ended !== null && this.#ended.client === clientId && this.#now() - this.#ended.at <= END_GRACE_MS;
  }

  /** A turn was cut: when it was a client's utterance, cut by a new turn, that client's release is answered `overtaken`. */
  cut(e: TurnCut): void {
    if (e.reason === "barge_in" && e.outcome === "utterance_dropped" && e.client !== null) {
      this.#overtaken.set(e.client, { turnId: e.turnId, by: e.by, byClient: e.byClient, at: this.#now() });
    }
  }

  /** `clientId`'s utterance that another command cut, if it has not moved on since. */
  overtaken(clientId: string): OvertakenUtterance | null {
    const o = this.#overtaken.get(clientId);
    return o ? { turnId: o.turnId, by: o.by, byClient: o.byClient } : null;
  }

  /** `clientId` moved on (another command of its own) or left: its overtaken utterance, if any, is settled. */
  settle(clientId: string): void {
    this.#overtaken.delete(clientId);
  }

  /** Whether `clientId`'s utterance was cut by another command recently enough that its button may still be held. */
  #stillHeld(clientId: string): boolean {
    const o = this.#overtaken.get(clientId);
    return o !== undefined && this.#now() - o.at <= this.#overtakenQuietMs;
  }

  /**
   * A frame from `clientId`.
   * @throws ProtocolError `unexpected_binary` when no stream from that client is open (outside the end grace, and unless another command cut its utterance).
   */
  push(s: AudioSession, clientId: string, chunk: Uint8Array): void {
    if (!this.#source || s.audioOwner !== clientId || s.listenMode === null) {
      // Frames that were in flight when the utterance ended, or that a button still held sends after another command took over, are dropped quietly.
      if (this.withinGrace(clientId) || this.#stillHeld(clientId)) return;
      throw new ProtocolError("unexpected_binary", "No audio stream is open for this connection; send stt_start first");
    }
    // While the answer plays, the owner's speech may interrupt it; otherwise frames go to the utterance (or are dropped when none is open).
    if (this.#watch.frame(s, clientId, chunk)) return;
    this.#source.push(chunk);
  }
}
