/**
 * Raw PCM descriptions shared by the STT and TTS stages. Field names match
 * the wire's `AudioFormat` (server/protocol/common.ts) so no mapping is needed.
 */
export interface PcmFormat {
  /** Samples per second. */
  sample_rate: number;
  /** s16le: signed 16-bit little-endian; f32le: 32-bit float little-endian. */
  sample_type: "s16le" | "f32le";
  channels: 1 | 2;
}

/** What clients stream to the server and what recognisers receive: 16 kHz, s16le, mono. */
export const INPUT_PCM: PcmFormat = { sample_rate: 16000, sample_type: "s16le", channels: 1 };

/** Milliseconds of audio in `bytes` bytes of `format`. */
export function pcmDurationMs(bytes: number, format: PcmFormat): number {
  const bytesPerSample = format.sample_type === "s16le" ? 2 : 4;
  return (bytes / (bytesPerSample * format.channels * format.sample_rate)) * 1000;
}
