/**
 * The dashboard's PCM helpers (plain browser JS, run here in Node): the
 * microphone resampler to 16 kHz, the s16le encoder, and the decoder of
 * synthesised speech.
 */
import { describe, expect, it } from "vitest";
import { decodePcm, floatToS16le, Resampler } from "../../../server/dashboard/public/pcm.js";

describe("Resampler", () => {
  it("turns 48 kHz into 16 kHz across arbitrary block boundaries, keeping every sample", () => {
    const r = new Resampler(48000, 16000);
    const input = Float32Array.from({ length: 4800 }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / 48000) * 0.5);
    let out = 0;
    for (const size of [128, 128, 7, 1000, 3537]) out += r.push(input.subarray(0, size)).length;
    expect(out).toBe(Math.floor((128 + 128 + 7 + 1000 + 3537) / 3));
  });

  it("averages each output period (a constant stays constant) and handles 44.1 kHz", () => {
    const r = new Resampler(44100, 16000);
    const out = r.push(new Float32Array(4410).fill(0.25));
    expect(out.length).toBe(1600);
    expect(out.every((v) => Math.abs(v - 0.25) < 1e-6)).toBe(true);
  });

  it("interpolates when the input rate is lower", () => {
    const out = new Resampler(8000, 16000).push(Float32Array.from([0, 1, 0, -1, 0]));
    expect(Array.from(out)).toEqual([0, 0.5, 1, 0.5, 0, -0.5, -1, -0.5, 0]);
  });
});

describe("floatToS16le and decodePcm", () => {
  it("encodes little-endian 16-bit with clipping, and decodes back", () => {
    const bytes = new Uint8Array(floatToS16le(Float32Array.from([0, 1, -1, 2, -2, 0.5])));
    expect(Array.from(new Int16Array(bytes.buffer))).toEqual([0, 32767, -32768, 32767, -32768, 16383]);
    expect(Array.from(bytes.subarray(2, 4))).toEqual([0xff, 0x7f]);
    const [mono] = decodePcm(bytes, { sample_type: "s16le", channels: 1 });
    expect(Array.from(mono!).map((v) => Math.round(v * 1000) / 1000)).toEqual([0, 1, -1, 1, -1, 0.5]);
  });

  it("decodes interleaved f32le stereo into one array per channel", () => {
    const f = new Float32Array([0.1, -0.1, 0.2, -0.2]);
    const [l, r] = decodePcm(new Uint8Array(f.buffer), { sample_type: "f32le", channels: 2 });
    expect(Array.from(l!)).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    expect(Array.from(r!)).toEqual([Math.fround(-0.1), Math.fround(-0.2)]);
  });
});
