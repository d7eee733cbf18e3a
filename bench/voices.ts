/**
 * Intelligibility and speed of every available voice (npm run bench:voices):
 * each voice speaks the fixed sentence set (bench/voice-sentences.ts), the
 * project's own recogniser (PocketSphinx, Debian packages pocketsphinx and
 * pocketsphinx-en-us) transcribes each sentence, and the word error rate
 * against the text is computed with spelling variants (colour/color) folded.
 *
 * Voices: eSpeak NG en-us (the baseline), every Flite voice, and Festival's
 * cmu_us_slt_arctic_hts when Debian's festival and festvox-us-slt-hts are
 * installed. Prints one JSON line per voice on stdout:
 *   {voice, engine, wer, sentences, exact, ms_per_sentence_p50, realtime_factor, wer_vs_espeak}
 * and, on stderr, each sentence as heard. Synthesis time is wall time to all
 * PCM through the engine (worker thread or child process), measured with
 * nothing else running in this process; recognition runs afterwards.
 *
 * Options: --voices slt,rms,espeak:en-us,festival  (default: all available).
 * Bounded: one pass over the sentence set per voice.
 */
import { PocketSphinxStt } from "../actors/stt/pocketsphinx.js";
import { EspeakTts } from "../actors/tts/espeak.js";
import { DEFAULT_FESTIVAL_VOICE, FestivalTts } from "../actors/tts/festival.js";
import { FLITE_VOICES, isFliteVoice } from "../actors/tts/flite-wasm.js";
import { FliteTts } from "../actors/tts/flite.js";
import type { TtsEngine } from "../actors/tts/types.js";
import { pcmDurationMs } from "../actors/audio.js";
import { concatBytes } from "../actors/wav.js";
import { normaliseWords, referenceWords, VOICE_SENTENCES, wordErrors } from "./voice-sentences.js";

interface VoiceSpec {
  label: string;
  make(): TtsEngine & { start?(): Promise<void> };
}

/** Silence around each sentence, as around a real utterance (PocketSphinx segments on it). */
const PAD_MS = 300;
/** Recognitions in flight at once (each is a pocketsphinx_continuous process). */
const RECOGNISERS = 2;

function availableVoices(): VoiceSpec[] {
  const voices: VoiceSpec[] = [{ label: "espeak:en-us", make: () => new EspeakTts({ voice: "en-us" }) }];
  for (const voice of FLITE_VOICES) voices.push({ label: voice, make: () => new FliteTts({ voice }) });
  if (FestivalTts.missing() === null) voices.push({ label: "festival", make: () => new FestivalTts({ voice: DEFAULT_FESTIVAL_VOICE }) });
  else console.error(`(festival skipped: ${FestivalTts.missing()})`);
  return voices;
}

function chosenVoices(): VoiceSpec[] {
  const all = availableVoices();
  const at = process.argv.indexOf("--voices");
  if (at < 0) return all;
  const wanted = (process.argv[at + 1] ?? "").split(",");
  const unknown = wanted.filter((w) => !all.some((v) => v.label === w));
  if (unknown.length > 0) throw new Error(`unknown or unavailable voice(s) ${unknown.join(", ")}; available: ${all.map((v) => v.label).join(", ")}`);
  return all.filter((v) => wanted.includes(v.label));
}

async function synthesiseAll(engine: TtsEngine): Promise<{ pcm: Uint8Array[]; ms: number[]; audioMs: number }> {
  const pcm: Uint8Array[] = [];
  const ms: number[] = [];
  let audioMs = 0;
  for (const sentence of VOICE_SENTENCES) {
    const t0 = performance.now();
    const chunks: Uint8Array[] = [];
    for await (const chunk of engine.synthesize(sentence.text, { signal: AbortSignal.timeout(60_000) })) chunks.push(chunk);
    ms.push(performance.now() - t0);
    const audio = concatBytes(...chunks);
    audioMs += pcmDurationMs(audio.byteLength, engine.format);
    pcm.push(audio);
  }
  return { pcm, ms, audioMs };
}

async function transcribe(pcm: Uint8Array, format: TtsEngine["format"]): Promise<string> {
  const stt = new PocketSphinxStt();
  const pad = new Uint8Array(Math.round((format.sample_rate * PAD_MS) / 1000) * 2);
  async function* audio() {
    yield pad;
    for (let at = 0; at < pcm.byteLength; at += 6400) yield pcm.subarray(at, at + 6400);
    yield pad;
  }
  let text = "";
  for await (const update of stt.transcribe(audio(), { signal: AbortSignal.timeout(120_000), format })) if (update.kind === "final") text = update.text;
  await stt.close();
  return text;
}

/** Run `task` over `items` with at most `limit` in flight; results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!, index);
      }
    }),
  );
  return results;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

if (!PocketSphinxStt.isAvailable()) {
  console.error("bench:voices needs PocketSphinx: apt-get install pocketsphinx pocketsphinx-en-us");
  process.exit(2);
}

const voices = chosenVoices();
console.error(`bench:voices: ${VOICE_SENTENCES.length} sentences x ${voices.length} voices (${voices.map((v) => v.label).join(", ")}), node ${process.version}`);
const lines: Array<Record<string, unknown>> = [];
for (const spec of voices) {
  const engine = spec.make();
  await engine.start?.();
  const { pcm, ms, audioMs } = await synthesiseAll(engine);
  await engine.close();
  const heard = await mapLimited(pcm, RECOGNISERS, (audio) => transcribe(audio, engine.format));
  let errors = 0;
  let words = 0;
  let exact = 0;
  VOICE_SENTENCES.forEach((sentence, i) => {
    const reference = referenceWords(sentence);
    const e = wordErrors(reference, normaliseWords(heard[i]!));
    errors += e;
    words += reference.length;
    if (e === 0) exact++;
    console.error(`  ${spec.label.padEnd(12)} ${e === 0 ? "exact" : `${e} err`.padEnd(5)}  ${reference.join(" ")}  ->  ${heard[i]}`);
  });
  const line = {
    voice: isFliteVoice(spec.label) ? spec.label : spec.label === "festival" ? DEFAULT_FESTIVAL_VOICE : engine.voice,
    engine: engine.name,
    wer: Number((errors / words).toFixed(3)),
    sentences: VOICE_SENTENCES.length,
    exact,
    ms_per_sentence_p50: Math.round(median(ms)),
    realtime_factor: Number((ms.reduce((a, b) => a + b, 0) / audioMs).toFixed(3)),
  };
  lines.push(line);
  const baseline = lines.find((l) => l.engine === "espeak-ng");
  console.log(JSON.stringify({ ...line, ...(baseline ? { wer_vs_espeak: Number((line.wer / (baseline.wer as number)).toFixed(2)) } : {}) }));
}
