/**
 * The raw PCM description shared by the STT and TTS stages, the machine and
 * the wire. Field names match the wire's `AudioFormat`
 * (server/protocol/common.ts) so no mapping is needed.
 */
export interface PcmFormat {
  /** Samples per second. */
  sample_rate: number;
  /** s16le: signed 16-bit little-endian; f32le: 32-bit float little-endian. */
  sample_type: "s16le" | "f32le";
  channels: 1 | 2;
}

/** Where the audio of an utterance comes from (client stream, microphone, file, scripted text, nothing). */
export type AudioSourceKind = "client" | "microphone" | "file" | "scripted" | "none";
