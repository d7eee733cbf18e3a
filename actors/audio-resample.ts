/**
 * PCM conversion for the speech stages: any PcmFormat to any other (sample
 * type, channel count, sample rate). Used to bring eSpeak's 22.05 kHz output
 * or a configured WAV file to the recognisers' INPUT_PCM (16 kHz s16le mono).
 *
 * Quality is "good enough for speech recognition", not hi-fi: downsampling
 * averages the source samples under each output sample (a box low-pass that
 * removes most aliasing), upsampling interpolates linearly. Both are O(n) and
 * cost well under a millisecond per second of audio, so they run inline on
 * whole utterances rather than in a worker. `MonoResampler` and
 * `PcmStreamConverter` do the same chunk by chunk (the voice-activity
 * detectors bring any client, microphone or file format to 16 kHz with them).
 */
import type { PcmFormat } from "./audio.js";

/** Decode PCM bytes to mono float samples in [-1, 1] (channels averaged). */
export function pcmToMonoFloat(bytes: Uint8Array, format: PcmFormat): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bytesPerSample = format.sample_type === "s16le" ? 2 : 4;
  const frames = Math.floor(bytes.byteLength / (bytesPerSample * format.channels));
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < format.channels; c++) {
      const at = (i * format.channels + c) * bytesPerSample;
      sum += format.sample_type === "s16le" ? view.getInt16(at, true) / 32768 : view.getFloat32(at, true);
    }
    out[i] = sum / format.channels;
  }
  return out;
}

/** Encode mono float samples as PCM bytes of `format` (mono duplicated to every channel; clipped to range). */
export function monoFloatToPcm(samples: Float32Array, format: PcmFormat): Uint8Array {
  const bytesPerSample = format.sample_type === "s16le" ? 2 : 4;
  const out = new Uint8Array(samples.length * bytesPerSample * format.channels);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    for (let c = 0; c < format.channels; c++) {
      const at = (i * format.channels + c) * bytesPerSample;
      if (format.sample_type === "s16le") view.setInt16(at, Math.round(s < 0 ? s * 32768 : s * 32767), true);
      else view.setFloat32(at, s, true);
    }
  }
  return out;
}

/** Change the sample rate of mono float samples (box-filtered when downsampling, linear when upsampling). */
export function resampleMono(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate && fromRate > 0) return samples;
  return new MonoResampler(fromRate, toRate).push(samples, true);
}

/**
 * Sample-rate conversion of a stream of mono float samples: the filters of
 * `resampleMono`, with the inputs an output sample still needs carried to
 * the next `push`. Output sample k sits at input position k * from / to,
 * counted from the start of the stream, so chunking never makes it drift.
 */
export class MonoResampler {
  readonly #ratio: number;
  readonly #fromRate: number;
  readonly #toRate: number;
  /** Input samples not yet fully used by an output sample. */
  #buffer: Float32Array = new Float32Array(0);
  /** Input samples dropped from the front of `#buffer` so far. */
  #dropped = 0;
  /** Output samples produced so far. */
  #produced = 0;

  constructor(fromRate: number, toRate: number) {
    if (!(fromRate > 0) || !(toRate > 0)) throw new TypeError("sample rates must be positive");
    this.#fromRate = fromRate;
    this.#toRate = toRate;
    this.#ratio = fromRate / toRate;
  }

  /** Resample more input; `final` also produces the outputs that would need input past the end (the stream ends). */
  push(samples: Float32Array, final = false): Float32Array {
    if (this.#ratio === 1) return samples;
    const input = this.#buffer.length === 0 ? samples : concatFloat(this.#buffer, samples);
    const ratio = this.#ratio;
    const total = this.#dropped + input.length;
    const last = final ? Math.floor((total * this.#toRate) / this.#fromRate) : Infinity;
    const out: number[] = [];
    let k = this.#produced;
    for (; k < last; k++) {
      const pos = k * ratio - this.#dropped;
      if (ratio > 1) {
        // Box filter: output k averages the inputs under [k, k + 1) * ratio.
        const start = Math.floor(pos);
        const endPos = Math.floor((k + 1) * ratio) - this.#dropped;
        if (!final && endPos > input.length) break;
        const end = Math.min(input.length, Math.max(start + 1, endPos));
        let sum = 0;
        for (let j = start; j < end; j++) sum += input[j]!;
        out.push(sum / (end - start));
      } else {
        // Linear interpolation between the two inputs around the position.
        const j = Math.floor(pos);
        if (!final && j + 1 >= input.length) break;
        const a = input[j] ?? 0;
        const b = input[j + 1] ?? a;
        out.push(a + (b - a) * (pos - j));
      }
    }
    this.#produced = k;
    const used = Math.max(0, Math.min(input.length, Math.floor(k * ratio) - this.#dropped));
    this.#buffer = input.slice(used);
    this.#dropped += used;
    return Float32Array.from(out);
  }
}

/**
 * Convert PCM bytes from one format to another.
 * @example convertPcm(espeakPcm, { sample_rate: 22050, sample_type: "s16le", channels: 1 }, INPUT_PCM)
 */
export function convertPcm(bytes: Uint8Array, from: PcmFormat, to: PcmFormat): Uint8Array {
  if (from.sample_rate === to.sample_rate && from.sample_type === to.sample_type && from.channels === to.channels) {
    return bytes;
  }
  const mono = pcmToMonoFloat(bytes, from);
  return monoFloatToPcm(resampleMono(mono, from.sample_rate, to.sample_rate), to);
}

/**
 * Streaming conversion of PCM chunks (any PcmFormat) to mono float samples
 * at `toRate`, for detectors that see audio chunk by chunk. Unlike calling
 * `convertPcm` per chunk, it carries a partial sample frame and the
 * resampling phase from one chunk to the next, so chunk boundaries neither
 * drop samples nor make the clock drift. Same filters as `resampleMono`.
 * @example
 * const toModel = new PcmStreamConverter({ sample_rate: 48000, sample_type: "f32le", channels: 2 }, 16000);
 * for await (const chunk of audio) model.feed(toModel.push(chunk));
 */
export class PcmStreamConverter {
  readonly from: PcmFormat;
  readonly toRate: number;
  readonly #frameBytes: number;
  #resampler: MonoResampler;
  #partial: Uint8Array = new Uint8Array(0);

  constructor(from: PcmFormat, toRate: number) {
    this.#resampler = new MonoResampler(from.sample_rate, toRate);
    this.from = from;
    this.toRate = toRate;
    this.#frameBytes = (from.sample_type === "s16le" ? 2 : 4) * from.channels;
  }

  /** Convert one more chunk; returns the output samples it completes (possibly none). */
  push(bytes: Uint8Array): Float32Array {
    let data = bytes;
    if (this.#partial.byteLength > 0) {
      data = new Uint8Array(this.#partial.byteLength + bytes.byteLength);
      data.set(this.#partial, 0);
      data.set(bytes, this.#partial.byteLength);
    }
    const whole = data.byteLength - (data.byteLength % this.#frameBytes);
    this.#partial = data.slice(whole);
    return this.#resampler.push(pcmToMonoFloat(data.subarray(0, whole), this.from));
  }

  /** Forget carried samples and phase (a new stream starts). */
  reset(): void {
    this.#partial = new Uint8Array(0);
    this.#resampler = new MonoResampler(this.from.sample_rate, this.toRate);
  }
}

function concatFloat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
