/**
 * WAV helpers: canonical header, round trip, chunks before data, streamed
 * header stripping, and precise audio_error failures.
 */
import { describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../actors/audio.js";
import { EngineError } from "../../actors/engine-error.js";
import { concatBytes, decodeWav, encodeWav, parseWavHeader, stripWavHeader } from "../../actors/wav.js";

const pcm = new Uint8Array([1, 0, 2, 0, 3, 0, 4, 0]);

function chunk(id: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.byteLength + (body.byteLength % 2));
  out.set([...id].map((c) => c.charCodeAt(0)), 0);
  new DataView(out.buffer).setUint32(4, body.byteLength, true);
  out.set(body, 8);
  return out;
}

describe("WAV", () => {
  it("encodes a canonical 44-byte header and decodes it back", () => {
    const wav = encodeWav(pcm, INPUT_PCM);
    expect(wav.byteLength).toBe(52);
    const view = new DataView(wav.buffer);
    expect([view.getUint32(4, true), view.getUint16(20, true), view.getUint16(22, true), view.getUint32(24, true), view.getUint32(28, true), view.getUint16(32, true), view.getUint16(34, true), view.getUint32(40, true)])
      .toEqual([44, 1, 1, 16000, 32000, 2, 16, 8]);
    const decoded = decodeWav(wav);
    expect(decoded.format).toEqual(INPUT_PCM);
    expect([...decoded.data]).toEqual([...pcm]);
  });

  it("encodes float stereo with format tag 3", () => {
    const wav = encodeWav(new Uint8Array(16), { sample_rate: 48000, sample_type: "f32le", channels: 2 });
    expect(decodeWav(wav).format).toEqual({ sample_rate: 48000, sample_type: "f32le", channels: 2 });
  });

  it("skips chunks before data (LIST, odd-sized padding) and ignores trailing chunks", () => {
    const canonical = encodeWav(pcm, INPUT_PCM);
    const fmt = canonical.subarray(12, 36);
    const riff = canonical.subarray(0, 12);
    const bytes = concatBytes(riff, fmt, chunk("LIST", new Uint8Array(3)), chunk("data", pcm), chunk("id3 ", new Uint8Array(4)));
    expect([...decodeWav(bytes).data]).toEqual([...pcm]);
  });

  it("says incomplete until the data chunk header is in, and streams with an unknown size", () => {
    const wav = encodeWav(pcm, INPUT_PCM);
    expect(parseWavHeader(wav.subarray(0, 30))).toBe("incomplete");
    new DataView(wav.buffer).setUint32(40, 0xffffffff, true);
    expect(parseWavHeader(wav)).toEqual({ format: INPUT_PCM, dataOffset: 44, dataBytes: null });
  });

  it("refuses what it cannot play as audio_error", () => {
    expect(() => decodeWav(new TextEncoder().encode("ID3 not a wave file"))).toThrow(new EngineError("audio_error", "not a RIFF/WAVE file"));
    const mp3InWav = encodeWav(pcm, INPUT_PCM);
    new DataView(mp3InWav.buffer).setUint16(20, 85, true);
    expect(() => decodeWav(mp3InWav)).toThrow("unsupported WAV encoding (format tag 85, 16 bits); use 16-bit PCM or 32-bit float");
  });

  it("strips a header split over many small chunks, reporting the format once", async () => {
    const wav = encodeWav(pcm, { sample_rate: 24000, sample_type: "s16le", channels: 1 });
    async function* bytes(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < wav.byteLength; i += 5) yield wav.subarray(i, i + 5);
    }
    const formats: unknown[] = [];
    const out: Uint8Array[] = [];
    for await (const c of stripWavHeader(bytes(), (f) => formats.push(f))) out.push(c);
    expect(formats).toEqual([{ sample_rate: 24000, sample_type: "s16le", channels: 1 }]);
    expect([...concatBytes(...out)]).toEqual([...pcm]);
  });

  it("fails a stream that ends inside the header", async () => {
    async function* bytes(): AsyncGenerator<Uint8Array> {
      yield encodeWav(pcm, INPUT_PCM).subarray(0, 20);
    }
    const err = await (async () => {
      for await (const _ of stripWavHeader(bytes(), () => {})) void _;
    })().catch((e: unknown) => e);
    expect((err as EngineError).code).toBe("audio_error");
    expect((err as EngineError).message).toBe("WAV stream ended before its data chunk");
  });
});
