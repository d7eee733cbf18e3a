/**
 * Voice-activity detection on made-up audio (actors/stt/testing/speech-in-noise.ts):
 * stream samples through a detector as a client sends them, and where the
 * speech of a clean recording starts and ends.
 */
import { INPUT_PCM } from "../../actors/audio.js";
import { LABEL_MS, labelSpeech, toPcm16 } from "../../actors/stt/testing/speech-in-noise.js";
import type { VadEvent, VadProvider } from "../../actors/stt/vad.js";

/**
 * Stream `samples` (16 kHz mono float) through a new detector of `vad` in 100 ms chunks; every event it gave.
 * @example expect((await detect(vad, noisy)).map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
 */
export async function detect(vad: VadProvider, samples: Float32Array): Promise<VadEvent[]> {
  const detector = vad.create(INPUT_PCM);
  const pcm = toPcm16(samples);
  const events: VadEvent[] = [];
  for (let at = 0; at < pcm.byteLength; at += 3200) events.push(...(await detector.push(pcm.subarray(at, at + 3200))));
  return events;
}

/** Where the speech of clean `samples` starts and ends (ms), pauses under 400 ms bridged. */
export function speechBounds(samples: Float32Array): { startMs: number; endMs: number } {
  const labels = labelSpeech(samples, 400);
  return { startMs: labels.indexOf(true) * LABEL_MS, endMs: (labels.lastIndexOf(true) + 1) * LABEL_MS };
}
