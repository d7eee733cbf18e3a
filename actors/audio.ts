/**
 * PCM helpers shared by the STT and TTS stages: the input format and audio
 * durations. The format type itself is a stage contract (contracts/audio.ts).
 */
import type { PcmFormat } from "./contracts/index.js";

export type { PcmFormat };

/** What clients stream to the server and what recognisers receive: 16 kHz, s16le, mono. */
export const INPUT_PCM: PcmFormat = { sample_rate: 16000, sample_type: "s16le", channels: 1 };

/** Milliseconds of audio in `bytes` bytes of `format`. */
export function pcmDurationMs(bytes: number, format: PcmFormat): number {
  const bytesPerSample = format.sample_type === "s16le" ? 2 : 4;
  return (bytes / (bytesPerSample * format.channels * format.sample_rate)) * 1000;
}
