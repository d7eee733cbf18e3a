/**
 * Synthetic microphone audio for tests: 16 kHz s16le mono tone bursts
 * (which every detector here counts as speech) and silence, with exact
 * durations, and a splitter into equal frames as clients send them.
 */
import { concatBytes } from "../../actors/wav.js";

/** `ms` of a 440 Hz sine at `amplitude` (0..1 of full scale). */
export function tone(ms: number, amplitude = 0.3): Uint8Array {
  const n = 16 * ms;
  const out = new Uint8Array(n * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) view.setInt16(i * 2, Math.round(Math.sin((2 * Math.PI * 440 * i) / 16000) * amplitude * 32767), true);
  return out;
}

/** `ms` of digital silence. */
export const silence = (ms: number): Uint8Array => new Uint8Array(32 * ms);

/** The parts one after the other. */
export const pcm = (...parts: Uint8Array[]): Uint8Array => concatBytes(...parts);

/** `audio` cut into frames of `frameMs` (the last may be shorter). */
export function frames(audio: Uint8Array, frameMs: number): Uint8Array[] {
  const bytes = frameMs * 32;
  const out: Uint8Array[] = [];
  for (let at = 0; at < audio.byteLength; at += bytes) out.push(audio.subarray(at, at + bytes));
  return out;
}
