// Plays synthesised speech: each binary frame is scheduled right after the
// previous one on a Web Audio clock, in the format of the turn's tts_start.
import { decodePcm } from "./pcm.js";

export class SpeechPlayer {
  constructor() {
    this.enabled = true;
    this.sources = new Set();
    this.nextTime = 0;
    this.chunks = 0;
    /** @type {AudioContext | undefined} created on the first user gesture */
    this.ctx = undefined;
  }

  /** Create or resume the audio context (call from a user gesture: browsers require one). */
  unlock() {
    this.ctx ??= new AudioContext();
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
  }

  play(pcm, format) {
    if (!this.enabled || !format || pcm.byteLength === 0) return;
    this.unlock();
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
    this.sources.add(src);
    src.onended = () => this.sources.delete(src);
    this.chunks++;
  }

  /** Silence everything scheduled (stop speaking, barge-in). */
  stop() {
    for (const src of this.sources) {
      try {
        src.stop();
      } catch {
        // already stopped
      }
    }
    this.sources.clear();
    this.nextTime = 0;
  }
}
