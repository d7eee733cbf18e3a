// PCM helpers shared by the microphone worklet and the page: resampling a
// float stream to the server's input rate (16 kHz) and converting to signed
// 16-bit little-endian; decoding synthesised speech (s16le / f32le) to floats.

/**
 * Streaming resampler. Downsampling averages the input samples that fall in
 * each output period (a box filter: cheap, and enough against aliasing for
 * speech recognition); upsampling interpolates linearly.
 */
export class Resampler {
  /** @param {number} inRate @param {number} outRate */
  constructor(inRate, outRate) {
    if (!(inRate > 0 && outRate > 0)) throw new TypeError("rates must be positive");
    this.ratio = inRate / outRate;
    this.pending = new Float32Array(0);
    this.pos = 0;
  }

  /**
   * Feed input samples; returns the output samples now complete.
   * @param {Float32Array} input
   */
  push(input) {
    const buf = new Float32Array(this.pending.length + input.length);
    buf.set(this.pending);
    buf.set(input, this.pending.length);
    /** @type {number[]} */
    const out = [];
    let pos = this.pos;
    const r = this.ratio;
    while (pos + Math.max(r, 1) <= buf.length) {
      const start = Math.floor(pos);
      if (r > 1) {
        const end = Math.floor(pos + r);
        let sum = 0;
        for (let i = start; i < end; i++) sum += buf[i] ?? 0;
        out.push(sum / (end - start));
      } else {
        const f = pos - start;
        const a = buf[start] ?? 0;
        out.push(a * (1 - f) + (buf[start + 1] ?? a) * f);
      }
      pos += r;
    }
    const keep = Math.floor(pos);
    this.pending = buf.slice(keep);
    this.pos = pos - keep;
    return Float32Array.from(out);
  }
}

/**
 * Floats in [-1, 1] to s16le bytes (clipped).
 * @param {Float32Array} samples
 */
export function floatToS16le(samples) {
  const out = new ArrayBuffer(samples.length * 2);
  const view = new DataView(out);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i] ?? 0));
    view.setInt16(i * 2, v < 0 ? v * 0x8000 : v * 0x7fff, true);
  }
  return out;
}

/**
 * Decode PCM bytes in `format` ({sample_type, channels}) to one Float32Array per channel.
 * @param {Uint8Array} bytes
 * @param {{ sample_type: "s16le" | "f32le", channels: number }} format
 */
export function decodePcm(bytes, format) {
  const channels = format.channels;
  const width = format.sample_type === "f32le" ? 4 : 2;
  const frames = Math.floor(bytes.byteLength / (width * channels));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  out.forEach((samples, c) => {
    for (let f = 0; f < frames; f++) {
      const at = (f * channels + c) * width;
      samples[f] = width === 4 ? view.getFloat32(at, true) : view.getInt16(at, true) / 0x8000;
    }
  });
  return out;
}
