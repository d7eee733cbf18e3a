// Plays synthesised speech: each binary frame is scheduled right after the
// previous one of its turn on a Web Audio clock, in the format of the turn's
// tts_start. It tells the server how far it has played (`playback`: the
// server paces audio to it and counts it as heard) and falls silent at once
// when a turn is cut.
import { decodePcm } from "./pcm.js";

/** How often a playing turn's position is reported (ms). */
const REPORT_MS = 250;

/** @typedef {"playing" | "ended" | "stopped"} PlaybackState */
/** @typedef {{ id: string, spans: [start: number, duration: number][], synthesised: boolean, timer: ReturnType<typeof setInterval> | undefined }} PlayingTurn */

export class SpeechPlayer {
  /** @param {(turnId: string, state: PlaybackState, positionMs: number) => void} [report] told where playback of a turn is (sends a playback command; errors are the caller's) */
  constructor(report = () => {}) {
    this.enabled = true;
    this.report = report;
    /** @type {Set<AudioBufferSourceNode>} */
    this.sources = new Set();
    this.nextTime = 0;
    this.chunks = 0;
    /** The turn being played. @type {PlayingTurn | null} */
    this.turn = null;
    /** @type {AudioContext | undefined} created on the first user gesture */
    this.ctx = undefined;
  }

  /** Create or resume the audio context (call from a user gesture: browsers require one). */
  unlock() {
    this.ctx ??= new AudioContext();
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
  }

  /** Audio of this turn played so far (ms): the played part of each scheduled span. */
  position() {
    if (!this.turn || !this.ctx) return 0;
    const now = this.ctx.currentTime;
    let s = 0;
    for (const [start, duration] of this.turn.spans) s += Math.min(duration, Math.max(0, now - start));
    return Math.round(s * 1000);
  }

  /**
   * Schedule one frame of a turn's speech after the previous one.
   * @param {Uint8Array} pcm
   * @param {import("/dashboard/client.js").AudioChunk["format"]} format the turn's (tts_start)
   * @param {string} turnId
   */
  play(pcm, format, turnId) {
    if (!this.enabled || !format || pcm.byteLength === 0) return;
    this.unlock();
    const ctx = this.ctx;
    if (!ctx) return;
    const turn = this.turn?.id === turnId ? this.turn : this.#begin(turnId);
    const channels = decodePcm(pcm, format);
    const frames = channels[0]?.length ?? 0;
    if (!frames) return;
    const buffer = ctx.createBuffer(format.channels, frames, format.sample_rate);
    channels.forEach((data, c) => buffer.copyToChannel(data, c));
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(ctx.destination);
    const at = Math.max(ctx.currentTime + 0.03, this.nextTime);
    src.start(at);
    this.nextTime = at + buffer.duration;
    turn.spans.push([at, buffer.duration]);
    this.sources.add(src);
    src.onended = () => {
      this.sources.delete(src);
      this.#maybeEnded();
    };
    this.chunks++;
  }

  /**
   * The server finished synthesising `turnId` (tts_result): once it has played out, report it ended.
   * @param {string} turnId
   */
  synthesised(turnId) {
    if (!this.turn || this.turn.id !== turnId) return;
    this.turn.synthesised = true;
    this.#maybeEnded();
  }

  /**
   * Silence everything scheduled at once (stop speaking, barge-in, speech turned off).
   * @param {"stopped" | "cut"} [reason] cut: the server already knows (nothing is reported)
   */
  stop(reason = "stopped") {
    for (const src of this.sources) {
      src.onended = null;
      try {
        src.stop();
      } catch {
        // already stopped
      }
    }
    this.sources.clear();
    this.nextTime = 0;
    this.#finish(reason);
  }

  /** Silence now without reporting: the caller is about to stop the turn on the server (stop_speaking). */
  silence() {
    this.stop("cut");
  }

  /**
   * A turn was cut (turn_interrupted): silence it if it is the one playing.
   * @param {string} turnId
   */
  cut(turnId) {
    if (this.turn?.id === turnId) this.stop("cut");
  }

  /**
   * @param {string} turnId
   * @returns {PlayingTurn}
   */
  #begin(turnId) {
    if (this.turn) this.stop();
    /** @type {PlayingTurn} */
    const turn = { id: turnId, spans: [], synthesised: false, timer: undefined };
    turn.timer = setInterval(() => this.report(turn.id, "playing", this.position()), REPORT_MS);
    this.turn = turn;
    this.report(turnId, "playing", 0);
    return turn;
  }

  #maybeEnded() {
    if (this.turn?.synthesised && this.sources.size === 0) this.#finish("ended");
  }

  /** @param {PlaybackState | "cut"} state */
  #finish(state) {
    const turn = this.turn;
    if (!turn) return;
    const position = this.position();
    clearInterval(turn.timer);
    this.turn = null;
    // A cut turn is over on the server already; anything else is news to it.
    if (state !== "cut") this.report(turn.id, state, position);
  }
}
