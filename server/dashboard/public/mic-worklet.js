// AudioWorklet processor: takes the microphone's first channel at the
// context's rate, resamples to 16 kHz, and posts s16le frames of
// `frameSamples` samples (100 ms by default) to the page, which sends them
// to the server as binary WebSocket frames.
import { Resampler, floatToS16le } from "./pcm.js";

class CodaMicProcessor extends AudioWorkletProcessor {
  /** @param {{ processorOptions?: { targetRate?: number, frameSamples?: number } }} options */
  constructor(options) {
    super();
    const o = options.processorOptions ?? {};
    this.resampler = new Resampler(sampleRate, o.targetRate ?? 16000);
    this.frameSamples = o.frameSamples ?? 1600;
    this.buffer = new Float32Array(this.frameSamples);
    this.filled = 0;
    this.port.onmessage = (e) => {
      if (e.data === "flush" && this.filled > 0) {
        this.#post(this.buffer.slice(0, this.filled));
        this.filled = 0;
      }
    };
  }

  /** @param {Float32Array} samples */
  #post(samples) {
    const bytes = floatToS16le(samples);
    this.port.postMessage(bytes, [bytes]);
  }

  /** @param {Float32Array[][]} inputs */
  process(inputs) {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    const out = this.resampler.push(channel);
    let i = 0;
    while (i < out.length) {
      const n = Math.min(out.length - i, this.frameSamples - this.filled);
      this.buffer.set(out.subarray(i, i + n), this.filled);
      this.filled += n;
      i += n;
      if (this.filled === this.frameSamples) {
        this.#post(this.buffer.slice());
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("coda-mic", CodaMicProcessor);
