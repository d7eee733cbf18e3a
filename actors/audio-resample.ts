/**
 * PCM conversion for the speech stages: any PcmFormat to any other (sample
 * type, channel count, sample rate). Used to bring eSpeak's 22.05 kHz output
 * or a configured WAV file to the recognisers' INPUT_PCM (16 kHz s16le mono).
 *
 * Quality is "good enough for speech recognition", not hi-fi: downsampling
 * averages the source samples under each output sample (a box low-pass that
 * removes most aliasing), upsampling interpolates linearly. Both are O(n) and
 * cost well under a millisecond per second of audio, so they run inline on
 * whole utterances rather than in a worker.
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
  if (!(fromRate > 0) || !(toRate > 0)) throw new TypeError("sample rates must be positive");
  if (fromRate === toRate) return samples;
  const ratio = fromRate / toRate;
  const outLength = Math.floor((samples.length * toRate) / fromRate);
  const out = new Float32Array(outLength);
  if (ratio > 1) {
    for (let i = 0; i < outLength; i++) {
      const start = Math.floor(i * ratio);
      const end = Math.min(samples.length, Math.max(start + 1, Math.floor((i + 1) * ratio)));
      let sum = 0;
      for (let j = start; j < end; j++) sum += samples[j]!;
      out[i] = sum / (end - start);
    }
  } else {
    for (let i = 0; i < outLength; i++) {
      const pos = i * ratio;
      const j = Math.floor(pos);
      const frac = pos - j;
      const a = samples[j] ?? 0;
      const b = samples[j + 1] ?? a;
      out[i] = a + (b - a) * frac;
    }
  }
  return out;
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
