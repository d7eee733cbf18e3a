/**
 * Labelled speech in noise, made on the spot, for testing and benchmarking
 * voice-activity detectors (test/actors/stt/vad-*.test.ts, bench/vad.ts):
 * eSpeak NG speech (the embedded WebAssembly build, so no system install),
 * white, brown and babble noise, a television in the room (speech-shaped
 * noise in phrases with pauses), mixing at a chosen SNR, and frame labels
 * taken from the clean speech. Everything is 16 kHz mono float; noise is
 * seeded, so a corpus is the same on every run.
 *
 * SNR is the ratio of the speech's active level (its mean power over the
 * frames labelled speech, as ITU-T P.56 measures speech level) to the
 * noise's mean power.
 */
import { INPUT_PCM } from "../../audio.js";
import { convertPcm, monoFloatToPcm, pcmToMonoFloat } from "../../audio-resample.js";
import { ESPEAK_PCM, type EspeakSynth, type EspeakVoiceSettings } from "../../tts/espeak-wasm.js";

export const RATE = 16_000;
/** Label resolution: 10 ms. */
export const LABEL_MS = 10;
const LABEL_SAMPLES = (RATE * LABEL_MS) / 1000;

/** Noises the corpus knows. */
export type NoiseKind = "white" | "brown" | "babble" | "tv";

/** A deterministic random source (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform source (Box-Muller). */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** `text` spoken by eSpeak, as 16 kHz mono float, without eSpeak's own leading and trailing silence (so pauses are exact). */
export function speak(synth: EspeakSynth, text: string, settings: Partial<EspeakVoiceSettings> = {}): Float32Array {
  const pcm = synth.synthesize(text, { voice: "en-us", rate: 175, pitch: 50, ...settings });
  const samples = pcmToMonoFloat(convertPcm(pcm, ESPEAK_PCM, INPUT_PCM), INPUT_PCM);
  const labels = labelSpeech(samples, 0);
  const first = labels.indexOf(true);
  return first < 0 ? samples : samples.slice(first * LABEL_SAMPLES, (labels.lastIndexOf(true) + 1) * LABEL_SAMPLES);
}

/** `ms` of silence. */
export function silence(ms: number): Float32Array {
  return new Float32Array(Math.round((RATE * ms) / 1000));
}

/** Join pieces end to end. */
export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Mean power of `samples` (0 when empty). */
export function power(samples: Float32Array, mask?: boolean[]): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < samples.length; i++) {
    if (mask && !mask[Math.floor(i / LABEL_SAMPLES)]) continue;
    sum += samples[i]! * samples[i]!;
    n++;
  }
  return n ? sum / n : 0;
}

/**
 * Which 10 ms frames of clean speech are speech: frames within 30 dB of the
 * loudest, with gaps shorter than `bridgeMs` (stops and short breaths inside
 * words and phrases) filled. Longer pauses stay non-speech.
 */
export function labelSpeech(clean: Float32Array, bridgeMs = 200): boolean[] {
  const frames = Math.floor(clean.length / LABEL_SAMPLES);
  const levels: number[] = [];
  for (let f = 0; f < frames; f++) levels.push(power(clean.subarray(f * LABEL_SAMPLES, (f + 1) * LABEL_SAMPLES)));
  const floor = Math.max(...levels, 0) / 1000;
  const labels = levels.map((p) => p > floor && p > 0);
  const bridge = Math.round(bridgeMs / LABEL_MS);
  let lastSpeech = -1;
  for (let f = 0; f < frames; f++) {
    if (!labels[f]) continue;
    if (lastSpeech >= 0 && f - lastSpeech - 1 < bridge) for (let g = lastSpeech + 1; g < f; g++) labels[g] = true;
    lastSpeech = f;
  }
  return labels;
}

/** Gaussian white noise of unit power. */
export function whiteNoise(samples: number, seed = 1): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(samples);
  for (let i = 0; i < samples; i++) out[i] = gaussian(random);
  return out;
}

/** Brown (1/f²) noise: leaky-integrated white noise, scaled to unit power. */
export function brownNoise(samples: number, seed = 2): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(samples);
  let y = 0;
  for (let i = 0; i < samples; i++) {
    y = 0.998 * y + gaussian(random) * 0.05;
    out[i] = y;
  }
  return scaleTo(out, 1);
}

/** Sentences the babble talkers say. */
const BABBLE_LINES = [
  "The committee will meet again on Thursday to discuss the budget for next year.",
  "I think the train was late because of the weather up north this morning.",
  "Could you pass me the salt and the pepper, and maybe some of that bread as well?",
  "She told me the concert had been moved to the large hall near the river.",
  "We should probably leave before the traffic gets really bad on the bridge.",
  "Nobody knew where the keys had gone until somebody checked the coat pocket.",
];
const BABBLE_VOICES = ["en-us", "en-gb+f3", "en-us+m3", "en-gb+f2", "en-us+f4", "en-gb+m4"];

/**
 * Babble: `talkers` eSpeak voices saying different sentences at once, each
 * looped from a different offset, summed and scaled to unit power.
 */
export function babbleNoise(synth: EspeakSynth, samples: number, talkers = 6, seed = 3): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(samples);
  for (let t = 0; t < talkers; t++) {
    const line = speak(synth, BABBLE_LINES[t % BABBLE_LINES.length]!, { voice: BABBLE_VOICES[t % BABBLE_VOICES.length]!, rate: 150 + 15 * t, pitch: 35 + 6 * t });
    const voice = scaleTo(line, 1);
    const offset = Math.floor(random() * voice.length);
    for (let i = 0; i < samples; i++) out[i]! += voice[(i + offset) % voice.length]!;
  }
  return scaleTo(out, 1);
}

/**
 * A television in the room: speech-shaped noise (white noise with the
 * long-term spectrum of speech: high-passed at 100 Hz, falling 6 dB per
 * octave above 600 Hz) whose level follows a syllable-rate envelope (random,
 * 3-6 syllables a second), in phrases of 0.8-3 s separated by pauses of
 * 0.2-1.2 s, as a programme's dialogue comes and goes. Unit power over the
 * whole length, pauses included (so while it talks it is louder than its
 * nominal SNR says, by about 1.5 dB).
 */
export function tvNoise(samples: number, seed = 4): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(samples);
  // One-pole filters: the high-pass removes hum-like rumble, the low-pass gives speech's spectral tilt.
  const hp = Math.exp((-2 * Math.PI * 100) / RATE);
  const lp = Math.exp((-2 * Math.PI * 600) / RATE);
  let prevIn = 0;
  let high = 0;
  let low = 0;
  const ramp = RATE * 0.02;
  let i = 0;
  while (i < samples) {
    const phrase = Math.round(RATE * (0.8 + 2.2 * random()));
    let syllableLeft = 0;
    let syllableLength = 1;
    for (let k = 0; k < phrase && i < samples; k++, i++) {
      if (syllableLeft <= 0) {
        syllableLength = Math.round(RATE / (3 + 3 * random()));
        syllableLeft = syllableLength;
      }
      // Each syllable rises and falls (a raised sine), never quite to nothing within a phrase.
      const envelope = 0.25 + 0.75 * Math.sin((Math.PI * (syllableLength - syllableLeft)) / syllableLength) ** 2;
      syllableLeft--;
      const edge = Math.min(1, k / ramp, (phrase - k) / ramp);
      const x = gaussian(random);
      high = hp * (high + x - prevIn);
      prevIn = x;
      low = (1 - lp) * high + lp * low;
      out[i] = low * envelope * edge;
    }
    const pause = Math.round(RATE * (0.2 + random()));
    for (let k = 0; k < pause && i < samples; k++, i++) out[i] = 0;
  }
  return scaleTo(out, 1);
}

/** Noise of `kind`, `samples` long, unit power. */
export function makeNoise(kind: NoiseKind, samples: number, synth: EspeakSynth, seed = 1): Float32Array {
  if (kind === "white") return whiteNoise(samples, seed);
  if (kind === "brown") return brownNoise(samples, seed + 1);
  if (kind === "tv") return tvNoise(samples, seed + 3);
  return babbleNoise(synth, samples, 6, seed + 2);
}

/** `samples` scaled to mean power `target`. */
export function scaleTo(samples: Float32Array, target: number): Float32Array {
  const p = power(samples);
  const gain = p > 0 ? Math.sqrt(target / p) : 0;
  return samples.map((s) => s * gain);
}

/**
 * Speech plus noise at `snrDb`, with the speech at `speechRms` active level
 * (default 0.05, about -26 dBFS, a normal microphone level).
 */
export function mixAtSnr(clean: Float32Array, labels: boolean[], noise: Float32Array, snrDb: number, speechRms = 0.05): Float32Array {
  const out = atSpeechLevel(clean, labels, speechRms);
  const noisePower = (speechRms * speechRms) / 10 ** (snrDb / 10);
  const noiseGain = Math.sqrt(noisePower / power(noise));
  for (let i = 0; i < out.length; i++) out[i]! += noise[i % noise.length]! * noiseGain;
  return out;
}

/** Clean speech scaled to `speechRms` active level (default 0.05, about -26 dBFS). */
export function atSpeechLevel(clean: Float32Array, labels: boolean[], speechRms = 0.05): Float32Array {
  const gain = Math.sqrt((speechRms * speechRms) / power(clean, labels));
  return clean.map((s) => s * gain);
}

/** 16 kHz s16le bytes of float samples (clipped), for feeding detectors. */
export function toPcm16(samples: Float32Array): Uint8Array {
  return monoFloatToPcm(samples, INPUT_PCM);
}
