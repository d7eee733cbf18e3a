// Plays synthesised speech: each binary frame is scheduled right after the
// previous one of its turn on a Web Audio clock, in the format of the turn's
// tts_start. It tells the server how far it has played (`playback`: the
// server paces audio to it and counts it as heard) and falls silent at once
// when a turn is cut.
import { decodePcm } from "./pcm.js";

/** How often a playing turn's position is reported (ms). */
const REPORT_MS = 250;

export class SpeechPlayer {
  /** `report(turnId, state, positionMs)` sends a playback command (errors are the caller's). */
  /** @param {(turnId: string, state: "playing" | "ended" | "stopped", positionMs: number) => void} [report] told where playback of a turn is */
  constructor(report = () => {}) {
    this.enabled = true;
    this.report = report;
    this.sources = new Set();
    this.nextTime = 0;
    this.chunks = 0;
    /** The turn being played: {id, spans: [[start, duration]], synthesised, timer}. */
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

  play(pcm, format, turnId) {
    if (!this.enabled || !format || pcm.byteLength === 0) return;
    this.unlock();
    if (this.turn?.id !== turnId) this.#begin(turnId);
    const channels = decodePcm(pcm, format);
    const frames = channels[0].length;
    if (!frames) return;
    const buffer = this.ctx.createBuffer(format.channels, frames, format.sample_rate);
    channels.forEach((data, c) => buffer.copyToChannel(data, c));
    const src = this.ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(this.ctx.destination);
    const at = Math.max(this.ctx.currentTime + 0.03, this.nextTime);
    src.start(at);
    this.nextTime = at + buffer.duration;
    this.turn.spans.push([at, buffer.duration]);
    this.sources.add(src);
    src.onended = () => {
      this.sources.delete(src);
      this.#maybeEnded();
    };
    this.chunks++;
  }

  /** The server finished synthesising `turnId` (tts_result): once it has played out, report it ended. */
  synthesised(turnId) {
    if (this.turn?.id !== turnId) return;
    this.turn.synthesised = true;
    this.#maybeEnded();
  }

  /** Silence everything scheduled at once (stop speaking, barge-in, speech turned off). */
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

  /** A turn was cut (turn_interrupted): silence it if it is the one playing. */
  cut(turnId) {
    if (this.turn?.id === turnId) this.stop("cut");
  }

  #begin(turnId) {
    if (this.turn) this.stop();
    const turn = { id: turnId, spans: [], synthesised: false, timer: null };
    turn.timer = setInterval(() => this.report(turn.id, "playing", this.position()), REPORT_MS);
    this.turn = turn;
    this.report(turnId, "playing", 0);
  }

  #maybeEnded() {
    if (this.turn?.synthesised && this.sources.size === 0) this.#finish("ended");
  }

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
