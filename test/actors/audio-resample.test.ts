/**
 * PCM conversion: sample types, channel mixing and rate changes keep
 * duration and level.
 */
import { describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../actors/audio.js";
import { convertPcm, monoFloatToPcm, PcmStreamConverter, pcmToMonoFloat, resampleMono } from "../../actors/audio-resample.js";
import { rmsS16 } from "../../actors/stt/vad.js";

function sine(rate: number, ms: number, freq = 440, amp = 0.5): Float32Array {
  const n = (rate * ms) / 1000;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin((2 * Math.PI * freq * i) / rate) * amp;
  return out;
}

describe("PCM conversion", () => {
  it("returns the same bytes when the formats match", () => {
    const bytes = new Uint8Array(10);
    expect(convertPcm(bytes, INPUT_PCM, { ...INPUT_PCM })).toBe(bytes);
  });

  it("resamples eSpeak's 22.05 kHz to 16 kHz keeping duration and level", () => {
    const from = { sample_rate: 22050, sample_type: "s16le", channels: 1 } as const;
    const src = monoFloatToPcm(sine(22050, 1000), from);
    const out = convertPcm(src, from, INPUT_PCM);
    expect(out.byteLength).toBe(32000);
    expect(rmsS16(out)).toBeCloseTo(rmsS16(src), 2);
  });

  it("upsamples 8 kHz to 16 kHz by interpolation", () => {
    const out = resampleMono(new Float32Array([0, 1, 0, -1]), 8000, 16000);
    expect([...out]).toEqual([0, 0.5, 1, 0.5, 0, -0.5, -1, -1]);
  });

  it("averages stereo to mono and reads float samples", () => {
    const stereo = new Uint8Array(8);
    const view = new DataView(stereo.buffer);
    view.setFloat32(0, 0.5, true);
    view.setFloat32(4, -0.25, true);
    expect([...pcmToMonoFloat(stereo, { sample_rate: 16000, sample_type: "f32le", channels: 2 })]).toEqual([0.125]);
  });

  it("clips out-of-range floats when encoding s16", () => {
    const out = new DataView(monoFloatToPcm(new Float32Array([2, -2]), INPUT_PCM).buffer);
    expect([out.getInt16(0, true), out.getInt16(2, true)]).toEqual([32767, -32768]);
  });
});

describe("streaming conversion (PcmStreamConverter)", () => {
  const formats = [
    { sample_rate: 44100, sample_type: "s16le", channels: 2 },
    { sample_rate: 48000, sample_type: "f32le", channels: 1 },
    { sample_rate: 8000, sample_type: "s16le", channels: 1 },
    { sample_rate: 22050, sample_type: "s16le", channels: 1 },
  ] as const;

  it.each(formats)("gives the same samples chunk by chunk as in one piece, with no drift ($sample_rate Hz $sample_type x$channels)", (format) => {
    const pcm = monoFloatToPcm(sine(format.sample_rate, 2000, 300, 0.4), format);
    const whole = resampleMono(pcmToMonoFloat(pcm, format), format.sample_rate, 16000);
    const converter = new PcmStreamConverter(format, 16000);
    const parts: number[] = [];
    // Odd chunk sizes split sample frames and resampling windows.
    for (let at = 0, size = 333; at < pcm.byteLength; at += size, size = size === 333 ? 1001 : 333) parts.push(...converter.push(pcm.subarray(at, at + size)));
    // Only the last output or two (which need input past the end) are held back.
    expect(parts.length).toBeGreaterThanOrEqual(whole.length - 2);
    expect(parts.length).toBeLessThanOrEqual(whole.length);
    expect(Math.max(...parts.map((v, i) => Math.abs(v - whole[i]!)))).toBeLessThan(1e-6);
  });

  it("passes 16 kHz mono through unchanged and starts over after reset()", () => {
    const converter = new PcmStreamConverter(INPUT_PCM, 16000);
    expect([...converter.push(new Uint8Array([0, 64, 1]))]).toEqual([0.5]);
    converter.reset();
    expect([...converter.push(new Uint8Array([0, 192]))]).toEqual([-0.5]);
  });
});
