/**
 * RIFF/WAVE helpers for the speech stages: wrap raw PCM in a WAV container
 * (uploads to transcription servers), read a WAV file into PCM (server-side
 * audio files, eSpeak output) and strip the header from a streamed WAV body
 * (speech servers answering `response_format: "wav"`).
 *
 * Only uncompressed PCM is understood: format tag 1 (16-bit integer) and
 * format tag 3 (32-bit float), also when wrapped in WAVE_FORMAT_EXTENSIBLE.
 */
import type { PcmFormat } from "./audio.js";
import { EngineError } from "./engine-error.js";

/** A decoded WAV file: its PCM format and the bytes of its `data` chunk. */
export interface WavAudio {
  format: PcmFormat;
  data: Uint8Array;
}

const WAV_HEADER_BYTES = 44;

/**
 * Wrap raw PCM in a 44-byte canonical WAV header.
 * @example encodeWav(pcm, INPUT_PCM) // a 16 kHz mono 16-bit WAV file
 */
export function encodeWav(pcm: Uint8Array, format: PcmFormat): Uint8Array {
  const bytesPerSample = format.sample_type === "s16le" ? 2 : 4;
  const blockAlign = bytesPerSample * format.channels;
  const out = new Uint8Array(WAV_HEADER_BYTES + pcm.byteLength);
  const view = new DataView(out.buffer);
  writeAscii(out, 0, "RIFF");
  view.setUint32(4, 36 + pcm.byteLength, true);
  writeAscii(out, 8, "WAVE");
  writeAscii(out, 12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, format.sample_type === "s16le" ? 1 : 3, true);
  view.setUint16(22, format.channels, true);
  view.setUint32(24, format.sample_rate, true);
  view.setUint32(28, format.sample_rate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bytesPerSample * 8, true);
  writeAscii(out, 36, "data");
  view.setUint32(40, pcm.byteLength, true);
  out.set(pcm, WAV_HEADER_BYTES);
  return out;
}

/**
 * Parse a complete WAV file. Throws EngineError `audio_error` when the bytes
 * are not a PCM WAV this module understands.
 */
export function decodeWav(bytes: Uint8Array): WavAudio {
  const header = parseWavHeader(bytes);
  if (header === "incomplete") throw new EngineError("audio_error", "WAV data ends before its data chunk");
  const end = header.dataBytes === null ? bytes.byteLength : Math.min(bytes.byteLength, header.dataOffset + header.dataBytes);
  return { format: header.format, data: bytes.subarray(header.dataOffset, end) };
}

/** Where the PCM starts in a WAV byte stream, and in what format it is. */
export interface WavHeader {
  format: PcmFormat;
  dataOffset: number;
  /** Size announced by the data chunk, or null when the writer did not know it (streamed WAV: 0 or 0xFFFFFFFF). */
  dataBytes: number | null;
}

/**
 * Read the header of a WAV byte stream. Returns "incomplete" when more bytes
 * are needed to reach the data chunk; throws EngineError `audio_error` when
 * the bytes are not PCM WAV.
 */
export function parseWavHeader(bytes: Uint8Array): WavHeader | "incomplete" {
  if (bytes.byteLength < 12) return "incomplete";
  if (readAscii(bytes, 0) !== "RIFF" || readAscii(bytes, 8) !== "WAVE") {
    throw new EngineError("audio_error", "not a RIFF/WAVE file");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: PcmFormat | null = null;
  let offset = 12;
  for (;;) {
    if (offset + 8 > bytes.byteLength) return "incomplete";
    const id = readAscii(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "data") {
      if (format === null) throw new EngineError("audio_error", "WAV data chunk comes before its fmt chunk");
      const unknownSize = size === 0 || size === 0xffffffff;
      return { format, dataOffset: body, dataBytes: unknownSize ? null : size };
    }
    if (body + size > bytes.byteLength) return "incomplete";
    if (id === "fmt ") format = readFmtChunk(view, body, size);
    // RIFF chunks are padded to an even size.
    offset = body + size + (size % 2);
  }
}

/**
 * Turn a streamed WAV body into its PCM payload: buffers until the data chunk
 * starts, reports the format once through `onFormat`, then passes bytes
 * through unchanged (never copying the payload).
 */
export async function* stripWavHeader(
  chunks: AsyncIterable<Uint8Array>,
  onFormat: (format: PcmFormat) => void,
): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array | null = new Uint8Array(0);
  let remaining: number | null = null;
  for await (const chunk of chunks) {
    let payload: Uint8Array;
    if (pending !== null) {
      pending = concatBytes(pending, chunk);
      const header = parseWavHeader(pending);
      if (header === "incomplete") continue;
      onFormat(header.format);
      remaining = header.dataBytes;
      payload = pending.subarray(header.dataOffset);
      pending = null;
    } else {
      payload = chunk;
    }
    // Anything after the announced data size is another chunk (LIST, ...), not audio.
    if (remaining !== null) {
      if (payload.byteLength > remaining) payload = payload.subarray(0, remaining);
      remaining -= payload.byteLength;
    }
    if (payload.byteLength > 0) yield payload;
  }
  if (pending !== null) throw new EngineError("audio_error", "WAV stream ended before its data chunk");
}

/** Join byte arrays into one. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function readFmtChunk(view: DataView, at: number, size: number): PcmFormat {
  if (size < 16) throw new EngineError("audio_error", "WAV fmt chunk is too short");
  let tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const bits = view.getUint16(at + 14, true);
  // WAVE_FORMAT_EXTENSIBLE keeps the real tag in the first two bytes of the sub-format GUID.
  if (tag === 0xfffe && size >= 26) tag = view.getUint16(at + 24, true);
  if (channels !== 1 && channels !== 2) throw new EngineError("audio_error", `unsupported WAV channel count ${channels}`);
  if (tag === 1 && bits === 16) return { sample_rate: sampleRate, sample_type: "s16le", channels };
  if (tag === 3 && bits === 32) return { sample_rate: sampleRate, sample_type: "f32le", channels };
  throw new EngineError("audio_error", `unsupported WAV encoding (format tag ${tag}, ${bits} bits); use 16-bit PCM or 32-bit float`);
}

function writeAscii(out: Uint8Array, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
}

function readAscii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}
