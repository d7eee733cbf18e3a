/**
 * Words as a person would say them to the server: text spoken in the
 * default voice (selectTtsEngine's, Flite rms) and converted to microphone
 * PCM (INPUT_PCM: 16 kHz s16le mono). For tests and scripts that feed real
 * recognisers (PocketSphinx) real speech.
 */
import { INPUT_PCM } from "../../actors/audio.js";
import { convertPcm } from "../../actors/audio-resample.js";
import { selectTtsEngine } from "../../actors/tts/select.js";
import { concatBytes } from "../../actors/wav.js";

/**
 * `text` in the default voice as 16 kHz s16le mono PCM.
 * @example const question = await speak("What is twelve times seven?");
 */
export async function speak(text: string): Promise<Uint8Array> {
  const voice = selectTtsEngine({}).engine;
  try {
    const chunks: Uint8Array[] = [];
    for await (const c of voice.synthesize(text, { signal: new AbortController().signal })) chunks.push(c);
    return convertPcm(concatBytes(...chunks), voice.format, INPUT_PCM);
  } finally {
    await voice.close();
  }
}

/** `ms` of silence in INPUT_PCM. */
export function silence(ms: number): Uint8Array {
  return new Uint8Array(Math.round(ms * 16) * 2);
}
