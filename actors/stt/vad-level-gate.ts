/**
 * The speaker-level gate: speech detection that tells the user from talk
 * further away. A voice-activity detector answers "is someone speaking";
 * in a room where others talk (a television, people across the room) it
 * says yes all the time, and an utterance never ends. The people close to
 * the microphone are louder than the ones across the room, so a frame
 * counts as speech only when the detector says speech AND its level is
 * within `marginDb` of the speaker's level (pipecat's `min_volume` is the
 * same idea with a fixed floor; this floor follows the speaker, so a quiet
 * speaker or a microphone's automatic gain does not need another setting).
 *
 * - Level: the frame's mean power after a 150 Hz high-pass (the band where
 *   voices are, without rumble, hum and brown noise), smoothed: it rises at
 *   once and falls with a 200 ms time constant, in dB of full scale.
 * - Speaker level: unknown at first, so the first speech the detector hears
 *   sets it; it rises towards louder speech that counts (a 60 ms time
 *   constant), and falls by `decayDbPerS` for every second of audio in
 *   which the detector hears nobody (not while anyone talks, or background
 *   talk would wear it down). A speaker who steps back and talks D dB more
 *   quietly is heard again after (D - margin) / decay seconds of pauses.
 *   It is kept across the detectors that share a `SpeakerLevel` (one per
 *   conversation: `withSpeakerLevel`), so each utterance, and the barge-in
 *   monitor while the answer plays, starts knowing how loud the user was.
 * - Endpointing as in actors/stt/endpointer.ts, on the gated decisions.
 *
 * The wrapped detector still scores every frame (its own start and end
 * events are not used); the gate only takes frames away from speech, so
 * it never starts an utterance the detector would not have started.
 */
import type { PcmFormat } from "../audio.js";
import { PcmStreamConverter } from "../audio-resample.js";
import { Endpointer } from "./endpointer.js";
import type { DetectorOptions, EndpointOptions, SpeechDetector, VadEvent, VadFrame, VadProvider } from "./vad.js";

/** The gate's settings. */
export interface LevelGateOptions {
  /** Speech more than this many dB below the speaker's level does not count; 0 turns the gate off. */
  marginDb: number;
  /** How fast the speaker level falls while nobody speaks, in dB per second of audio. */
  decayDbPerS: number;
}

/**
 * Defaults, chosen with bench:vad: talk 5 dB or more below the user stays
 * out, the user's own quieter syllables mostly stay in, and a speaker
 * level learnt from a shout comes down by 3 dB per second of quiet.
 */
export const LEVEL_GATE_DEFAULTS: Readonly<LevelGateOptions> = { marginDb: 6, decayDbPerS: 3 };

const RATE = 16_000;
/** High-pass corner of the level (Hz): below it is rumble, hum and brown noise rather than voice. */
const HIGH_PASS_HZ = 150;
/** Time constant of the level's fall (ms): short enough to end speech promptly, long enough to ride over a consonant. */
const RELEASE_MS = 200;
/** Time constant of the speaker level's rise towards louder speech (ms): a single loud frame moves it only part way. */
const RISE_MS = 60;
/** Below this a frame is digital silence, whatever the speaker level (dB of full scale). */
const SILENCE_DB = -90;

/** Check gate settings; throws one TypeError naming what is wrong. */
export function checkLevelGateOptions(o: LevelGateOptions): void {
  if (!(Number.isFinite(o.marginDb) && o.marginDb >= 0 && o.marginDb <= 40)) throw new TypeError("vad level gate marginDb must be between 0 (off) and 40");
  if (!(Number.isFinite(o.decayDbPerS) && o.decayDbPerS >= 0 && o.decayDbPerS <= 20)) throw new TypeError("vad level gate decayDbPerS must be between 0 and 20");
}

/**
 * How loud the user speaks, in dB of full scale, or null before they have
 * been heard: shared by the detectors of one conversation (its utterances
 * and its barge-in monitors), so each starts knowing the speaker.
 */
export class SpeakerLevel {
  db: number | null = null;
}

/**
 * The level of a stream of 16 kHz mono samples, frame by frame: high-passed,
 * and the mean power of any span of the recent audio.
 */
export class LevelMeter {
  // Second-order Butterworth high-pass (RBJ's cookbook), direct form I.
  readonly #b: [number, number, number];
  readonly #a: [number, number];
  #x1 = 0;
  #x2 = 0;
  #y1 = 0;
  #y2 = 0;
  /** Running sums of squares: #sums[i] is the sum over samples #first .. #first + i - 1. */
  #sums = new Float64Array(1);
  #length = 0;
  #first = 0;

  constructor() {
    const w = (2 * Math.PI * HIGH_PASS_HZ) / RATE;
    const alpha = Math.sin(w) / Math.SQRT2;
    const cos = Math.cos(w);
    const a0 = 1 + alpha;
    this.#b = [(1 + cos) / 2 / a0, -(1 + cos) / a0, (1 + cos) / 2 / a0];
    this.#a = [(-2 * cos) / a0, (1 - alpha) / a0];
  }

  /** Samples taken so far. */
  get samples(): number {
    return this.#first + this.#length;
  }

  push(samples: Float32Array): void {
    this.#reserve(samples.length);
    const [b0, b1, b2] = this.#b;
    const [a1, a2] = this.#a;
    let sum = this.#sums[this.#length]!;
    for (let i = 0; i < samples.length; i++) {
      const x = samples[i]!;
      const y = b0 * x + b1 * this.#x1 + b2 * this.#x2 - a1 * this.#y1 - a2 * this.#y2;
      this.#x2 = this.#x1;
      this.#x1 = x;
      this.#y2 = this.#y1;
      this.#y1 = y;
      sum += y * y;
      this.#sums[++this.#length] = sum;
    }
  }

  /** Mean power of samples [from, to) (absolute indices); what has been dropped or not yet arrived counts as absent. */
  power(from: number, to: number): number {
    const a = Math.max(from, this.#first) - this.#first;
    const b = Math.min(to, this.samples) - this.#first;
    return b > a ? (this.#sums[b]! - this.#sums[a]!) / (b - a) : 0;
  }

  /** Forget samples before `index` (absolute). */
  dropBefore(index: number): void {
    const n = Math.min(Math.max(0, index - this.#first), this.#length);
    if (n === 0) return;
    const base = this.#sums[n]!;
    for (let i = 0; i + n <= this.#length; i++) this.#sums[i] = this.#sums[i + n]! - base;
    this.#length -= n;
    this.#first += n;
  }

  reset(): void {
    this.#x1 = this.#x2 = this.#y1 = this.#y2 = 0;
    this.#length = 0;
    this.#first = 0;
    this.#sums[0] = 0;
  }

  #reserve(extra: number): void {
    if (this.#length + extra + 1 <= this.#sums.length) return;
    const grown = new Float64Array(Math.max(this.#sums.length * 2, this.#length + extra + 1));
    grown.set(this.#sums.subarray(0, this.#length + 1));
    this.#sums = grown;
  }
}

/**
 * The gate's decision, frame by frame: pure (no audio), so it can be tested
 * and replayed on recorded scores and levels.
 */
export class LevelGate {
  readonly options: LevelGateOptions;
  readonly #speaker: SpeakerLevel;
  /** Smoothed power of the frames so far. */
  #power = 0;

  constructor(options: LevelGateOptions, speaker: SpeakerLevel = new SpeakerLevel()) {
    checkLevelGateOptions(options);
    this.options = options;
    this.#speaker = speaker;
  }

  /** The speaker level in dB of full scale, or null before any speech. */
  get speakerDb(): number | null {
    return this.#speaker.db;
  }

  /**
   * Take one frame: its mean power, whether the detector called it speech,
   * and its length. Returns whether it counts as speech, and its smoothed level.
   */
  frame(power: number, detected: boolean, durationMs: number): { speech: boolean; levelDb: number } {
    const falling = power < this.#power;
    this.#power = falling ? power + (this.#power - power) * Math.exp(-durationMs / RELEASE_MS) : power;
    const levelDb = 10 * Math.log10(this.#power + 1e-12);
    if (this.options.marginDb === 0) return { speech: detected, levelDb };
    const speaker = this.#speaker;
    // Only while nobody speaks: background talk that goes on and on must not wear the speaker level down.
    if (speaker.db !== null && !detected) speaker.db -= (this.options.decayDbPerS * durationMs) / 1000;
    const loudEnough = levelDb > SILENCE_DB && (speaker.db === null || levelDb >= speaker.db - this.options.marginDb);
    const speech = detected && loudEnough;
    if (speech) {
      if (speaker.db === null) speaker.db = levelDb;
      else if (levelDb > speaker.db) speaker.db += (levelDb - speaker.db) * (1 - Math.exp(-durationMs / RISE_MS));
    }
    return { speech, levelDb };
  }

  /** Forget the smoothing (not the speaker level, which belongs to the conversation). */
  reset(): void {
    this.#power = 0;
  }
}

/**
 * One stream's detector: `inner` scores the frames, the gate decides.
 * `push` is synchronous when the inner detector's is.
 */
class LevelGatedDetector implements SpeechDetector {
  readonly #inner: SpeechDetector;
  readonly #gate: LevelGate;
  readonly #meter = new LevelMeter();
  readonly #converter: PcmStreamConverter;
  readonly #endpointOptions: EndpointOptions;
  /** Made on the first frame, whose length it needs. */
  #endpointer: Endpointer | null = null;
  readonly #onFrame: DetectorOptions["onFrame"];
  readonly #frames: VadFrame[] = [];

  constructor(provider: VadProvider, gate: LevelGate, format: PcmFormat, options: DetectorOptions) {
    this.#gate = gate;
    this.#onFrame = options.onFrame;
    this.#converter = new PcmStreamConverter(format, RATE);
    this.#endpointOptions = provider.options;
    this.#inner = provider.create(format, { onFrame: (frame) => this.#frames.push(frame) });
  }

  get name(): string {
    return this.#inner.name;
  }

  get inSpeech(): boolean {
    return this.#endpointer?.inSpeech ?? false;
  }

  push(chunk: Uint8Array): VadEvent[] | Promise<VadEvent[]> {
    this.#meter.push(this.#converter.push(chunk));
    const scored = this.#inner.push(chunk);
    return Array.isArray(scored) ? this.#decide() : scored.then(() => this.#decide());
  }

  reset(): void {
    this.#inner.reset();
    this.#converter.reset();
    this.#meter.reset();
    this.#endpointer?.reset();
    this.#gate.reset();
    this.#frames.length = 0;
  }

  #decide(): VadEvent[] {
    const events: VadEvent[] = [];
    for (const frame of this.#frames) {
      const from = Math.round((frame.atMs * RATE) / 1000);
      const to = Math.round(((frame.atMs + frame.durationMs) * RATE) / 1000);
      const { speech, levelDb } = this.#gate.frame(this.#meter.power(from, to), frame.speech, frame.durationMs);
      this.#onFrame?.({ ...frame, speech, levelDb });
      this.#endpointer ??= new Endpointer(this.#endpointOptions, frame.durationMs);
      const event = this.#endpointer.frame(speech);
      if (event !== null) events.push(event);
      this.#meter.dropBefore(to);
    }
    this.#frames.length = 0;
    return events;
  }
}

/**
 * `provider` with the speaker-level gate: each stream's detector counts a
 * frame as speech only when `provider`'s detector does and the frame is
 * within `marginDb` of the speaker. Detectors given a `speaker` in their
 * options share it; others learn the speaker on their own. With marginDb 0
 * the provider is returned as it is.
 * Throws TypeError for invalid settings.
 * @example
 * const vad = gateByLevel({ marginDb: 6, decayDbPerS: 3 }, energyVadProvider());
 */
export function gateByLevel(options: LevelGateOptions, provider: VadProvider): VadProvider {
  checkLevelGateOptions(options);
  if (options.marginDb === 0) return provider;
  return {
    name: provider.name,
    description: `${provider.description}; talk more than ${options.marginDb} dB below the speaker's level does not count (level gate)`,
    options: provider.options,
    create: (format, detector = {}) => new LevelGatedDetector(provider, new LevelGate(options, detector.speaker), format, detector),
    close: () => provider.close(),
  };
}

/**
 * A view of `provider` for one conversation: every detector it creates
 * shares `speaker` (unless given another), so the speaker level learnt in
 * one utterance carries to the next and to the barge-in monitor. Closing
 * the view does not close `provider`.
 */
export function withSpeakerLevel(provider: VadProvider, speaker: SpeakerLevel = new SpeakerLevel()): VadProvider {
  return {
    name: provider.name,
    description: provider.description,
    options: provider.options,
    create: (format, detector = {}) => provider.create(format, { ...detector, speaker: detector.speaker ?? speaker }),
    close: async () => {},
  };
}
