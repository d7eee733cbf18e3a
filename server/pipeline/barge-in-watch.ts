/**
 * Barge-in watching for one session: while the session's turn answers
 * (thinking, and speaking until the answer has been heard), the audio
 * owner's frames go to a barge-in monitor (actors/stt/barge-in.ts) of that
 * turn instead of being dropped, when barge-in applies to the session.
 *
 * Whether it applies is decided here from the session machine's context
 * (continuous session, its echo cancellation, not asked to stop) and the
 * policy (`bargeIn`: auto = only for audio the client says is
 * echo-cancelled, on, off), and it needs a detector (`vad`). When the user
 * has spoken `minSpeechMs` over the answer, `onSpeech` says so with the
 * speech that did it; the bridge turns that into the barge-in a typed
 * stt_start would make, after checking the session still runs that turn
 * (a detector off the main thread answers asynchronously).
 *
 * The seam for what comes next (backchannels that must not interrupt, an
 * interruption that turns out false and resumes the answer): the monitor's
 * verdicts arrive here, one turn at a time, before anything is cut.
 */
import type { PcmFormat } from "../../actors/audio.js";
import type { Logger } from "../../actors/logger.js";
import { BargeInMonitor, DEFAULT_BARGE_IN_MIN_MS, type BargeInSpeech } from "../../actors/stt/barge-in.js";
import type { VadProvider } from "../../actors/stt/vad.js";
import type { ListenMode } from "../../machines/voice-types.js";

/** When speaking interrupts an answer: auto (the client says its audio is echo-cancelled), on (every client stream), off. */
export type BargeInPolicy = "auto" | "on" | "off";

/** What the watcher needs to know of the session, read from its machine. */
export interface WatchedSession {
  /** The running (or last) turn. */
  turnId: string;
  /** The turn answers: thinking, or speaking until the answer has been heard. */
  answering: boolean;
  listenMode: ListenMode | null;
  echoCancellation: boolean;
  /** The session ends after this turn (stt_stop, the owner left): nothing to listen for. */
  stopAfterTurn: boolean;
}

export interface BargeInWatchOptions {
  /** The detector kind (the recogniser's); null: no barge-in by voice. */
  vad: VadProvider | null;
  /** Format of the frames. */
  format: PcmFormat;
  /** Default "auto". */
  policy?: BargeInPolicy;
  /** Speech that must be heard before it interrupts an answer (ms). Default 300. */
  minSpeechMs?: number;
  logger: Logger;
  /** The owner `clientId` spoke long enough over the answer of `turnId`. */
  onSpeech: (turnId: string, clientId: string, speech: BargeInSpeech) => void;
}

/** Barge-in watching of one session; see the module comment. */
export class BargeInWatch {
  readonly policy: BargeInPolicy;
  readonly minSpeechMs: number;
  readonly #vad: VadProvider | null;
  readonly #format: PcmFormat;
  readonly #logger: Logger;
  readonly #onSpeech: BargeInWatchOptions["onSpeech"];
  /** The monitor of the answering turn, if its owner's frames are being watched. */
  #watch: { turnId: string; monitor: BargeInMonitor } | null = null;

  /** @throws TypeError for a policy other than auto/on/off or a minimum that is not a positive number. */
  constructor(options: BargeInWatchOptions) {
    const policy = options.policy ?? "auto";
    const minSpeechMs = options.minSpeechMs ?? DEFAULT_BARGE_IN_MIN_MS;
    if (!["auto", "on", "off"].includes(policy)) throw new TypeError('bridge bargeIn must be "auto", "on" or "off"');
    if (!(Number.isFinite(minSpeechMs) && minSpeechMs > 0)) throw new TypeError("bridge bargeInMinMs must be a positive number");
    this.policy = policy;
    this.minSpeechMs = minSpeechMs;
    this.#vad = options.vad;
    this.#format = options.format;
    this.#logger = options.logger;
    this.#onSpeech = options.onSpeech;
  }

  /** A turn's monitor is running (frames of its owner are being watched). */
  get watching(): boolean {
    return this.#watch !== null;
  }

  /** Whether the session's frames are watched now: its turn answers, and barge-in applies to it. */
  applies(s: WatchedSession): boolean {
    if (s.listenMode !== "continuous" || this.#vad === null || this.policy === "off") return false;
    if (this.policy === "auto" && !s.echoCancellation) return false;
    return s.answering && !s.stopAfterTurn;
  }

  /**
   * One of the owner's frames. Returns true when it was watched (the turn
   * answers and barge-in applies); false when it belongs to the utterance
   * (any watch of an earlier turn is then stopped).
   */
  frame(s: WatchedSession, clientId: string, chunk: Uint8Array): boolean {
    if (!this.applies(s)) {
      this.stop();
      return false;
    }
    if (this.#watch?.turnId !== s.turnId) {
      this.stop();
      const turnId = s.turnId;
      const monitor = new BargeInMonitor({
        vad: this.#vad!,
        format: this.#format,
        minSpeechMs: this.minSpeechMs,
        onSpeech: (speech) => this.#monitorOnSpeech(turnId, clientId, speech),
        onError: (err) => this.#logger.warn("barge-in monitor failed", { turnId, error: err instanceof Error ? err.message : String(err) }),
      });
      this.#watch = { turnId, monitor };
    }
    this.#watch.monitor.push(chunk);
    return true;
  }

  /** Stop watching (the turn changed, the session ended or the pipeline stops). */
  stop(): void {
    this.#watch?.monitor.close();
    this.#watch = null;
  }

  #monitorOnSpeech(turnId: string, clientId: string, speech: BargeInSpeech): void {
    // A monitor fires once: it is done with this turn.
    if (this.#watch?.turnId === turnId) this.#watch = null;
    this.#onSpeech(turnId, clientId, speech);
  }
}
