/**
 * The speech-to-text stage as XState logic. It opens the audio source, runs
 * the engine over it and reports `stt.partial` / `stt.final` / `stt.error`
 * to the machine. The utterance's audio ends at whichever comes first:
 * - the voice-activity detector (actors/stt/vad.ts; Silero or energy, one
 *   detector per utterance) hears the end of speech (`hangoverMs` of
 *   non-speech after speech) on live and file audio, when the utterance ends
 *   at speech end (`endsAtSpeechEnd`: continuous mode; a push-to-talk
 *   utterance lasts while the button is held, pauses and all);
 * - `audio.end` from the machine (stt_stop);
 * - the source itself ends.
 * The engine then finishes the utterance with what it has. `stt.final`
 * carries how long the utterance waited for busy shared engines (the
 * recogniser's `onQueued`, the detector frames' `queuedMs`). `audio.lost`
 * from the machine (the client streaming the audio left) fails the
 * utterance with `stt.error` code `client_gone`. Stopping the actor aborts
 * the engine and the source; nothing is sent back after that.
 */
import type { DemoSttInput, SttControlEvent, SttEvent, SttInput } from "../contracts/index.js";
import type { PcmFormat } from "../audio.js";
import { parseEngineOutput, SttUpdateSchema } from "../engine-output.js";
import { aborted, sleep } from "../sleep.js";
import { fromStage, QueueWait, runStage } from "../stage-actor.js";
import { END_GRACE_MS } from "./end-grace.js";
import { ScriptedSttEngine, silentAudioSource } from "./scripted.js";
import type { AudioSource, SttEngine } from "./types.js";
import { energyVadProvider, isVadProvider, untilUtteranceEnd, type VadEvent, type VadOptions, type VadProvider } from "./vad.js";

export interface SttLogicOptions {
  engine: SttEngine;
  /** Where the utterance's audio comes from. Default: no audio (the engine's own source, e.g. scripted). */
  source?: AudioSource;
  /**
   * Voice-activity detection that ends the utterance at the end of speech:
   * a detector from `loadVad` (actors/stt/vad-select.ts; Silero or energy),
   * plain thresholds for the energy detector (defaults: VAD_DEFAULTS), or
   * false to end utterances only by stt_stop or the end of the source.
   * Applies to client, microphone and file sources, in any PCM format.
   * Default: the energy detector with its defaults (a model cannot be loaded
   * synchronously here; the server passes Silero).
   */
  vad?: VadOptions | VadProvider | false;
  /** Sees each VAD event of an utterance (speech_start, speech_end). */
  onVadEvent?: (event: VadEvent) => void;
  /**
   * Whether the utterance starting now ends at the VAD's end of speech.
   * Asked once per utterance. Default: always (the bridge answers false for
   * push_to_talk, which ends at stt_stop).
   */
  endsAtSpeechEnd?: (input: SttInput) => boolean;
}

/** Sources whose audio is speech as it happens (or as recorded) and so has an end of speech to detect. */
const LIVE_KINDS: ReadonlySet<AudioSource["kind"]> = new Set(["client", "microphone", "file"]);

/** The detector that applies to `source`, if any. Throws TypeError for invalid thresholds. */
function vadFor(source: AudioSource, vad: VadOptions | VadProvider | false | undefined): VadProvider | null {
  if (vad === false || !LIVE_KINDS.has(source.kind)) return null;
  return isVadProvider(vad) ? vad : energyVadProvider(vad ?? {});
}

/** Logic for the machine's `stt` slot. */
export function createSttLogic(options: SttLogicOptions) {
  const source = options.source ?? silentAudioSource("none");
  // Thresholds are checked once, here (TypeError on bad ones), not on every utterance.
  const vad = vadFor(source, options.vad);
  return fromStage<SttInput, SttEvent, SttControlEvent>(({ input, signal, send, receive }) => {
    const audioEnd = new AbortController();
    receive((event) => {
      if (event.type === "audio.end") audioEnd.abort();
      // Nobody is left to finish the utterance: it fails here, the one stage that knows it was listening to that client.
      else if (event.type === "audio.lost") send(sttError("client_gone", "The client streaming the audio disconnected"));
    });
    // The source ends the stream itself on stt_stop (after handing over what it already has);
    // endWhen is the safety net for a source that does not (actors/stt/end-grace.ts).
    const stream = endWhen(source.open(AbortSignal.any([signal, audioEnd.signal])), audioEnd.signal, END_GRACE_MS);
    // One detector per utterance: its clock and (Silero) recurrent state start at stt_start.
    const atSpeechEnd = vad !== null && (options.endsAtSpeechEnd?.(input) ?? true);
    if (!atSpeechEnd) return transcribeUtterance(options.engine, stream, source.format, signal, send);
    // What the detector's frames waited for a busy model goes out with the final.
    const vadWait = new QueueWait();
    const detector = vad.create(source.format, { onFrame: (frame) => vadWait.add(frame.queuedMs ?? 0) });
    return transcribeUtterance(options.engine, untilUtteranceEnd(stream, detector, options.onVadEvent), source.format, signal, send, vadWait);
  });
}

export interface DemoSttLogicOptions {
  /** Delay before each partial of the scripted recogniser (ms). Default 40. */
  partialDelayMs?: number;
}

/** Logic for the machine's `demoStt` slot: a scripted recogniser that hears the demo text. */
export function createDemoSttLogic(options: DemoSttLogicOptions = {}) {
  return fromStage<DemoSttInput, SttEvent, SttControlEvent>(({ input, signal, send }) => {
    const engine = new ScriptedSttEngine({ utterances: [input.text], partialDelayMs: options.partialDelayMs ?? 40 });
    const source = silentAudioSource("scripted");
    return transcribeUtterance(engine, source.open(signal), source.format, signal, send);
  });
}

/**
 * Run one utterance through `engine` and report it with `send`. Exactly one
 * of `stt.final` / `stt.error` ends it, unless `signal` aborted first (then nothing).
 * `vadWait` (when a detector ran) is read when the final goes out.
 * An update that is not an SttUpdate ends it with `stt.error` code `malformed_output`.
 */
export async function transcribeUtterance(
  engine: SttEngine,
  audio: AsyncIterable<Uint8Array>,
  format: PcmFormat,
  signal: AbortSignal,
  send: (event: SttEvent) => void,
  vadWait?: QueueWait,
): Promise<void> {
  await runStage(signal, send, sttError, async () => {
    const wait = new QueueWait();
    for await (const raw of engine.transcribe(audio, { signal, format, onQueued: wait.add })) {
      if (signal.aborted) return;
      const update = parseEngineOutput(SttUpdateSchema, raw, "The recogniser's update");
      if (update.kind === "partial") send({ type: "stt.partial", text: update.text });
      else if (update.kind === "final") {
        const c = update.confidence;
        send({
          type: "stt.final",
          text: update.text,
          confidence: typeof c === "number" && c >= 0 && c <= 1 ? c : null,
          ...(wait.ms > 0 ? { queuedMs: wait.ms } : {}),
          ...(vadWait && vadWait.ms > 0 ? { vadQueuedMs: vadWait.ms } : {}),
        });
        return;
      }
    }
    if (!signal.aborted) send({ type: "stt.error", code: "engine_error", message: "The recogniser ended without a final transcript" });
  });
}

const sttError = (code: string, message: string): SttEvent => ({ type: "stt.error", code, message });

/** `source`, ended `graceMs` after `end` aborts (stt_stop) if it has not ended by itself. */
async function* endWhen(source: AsyncIterable<Uint8Array>, end: AbortSignal, graceMs: number): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const ended = aborted(end)
    .then(() => sleep(graceMs))
    .then(() => null);
  try {
    while (true) {
      const next = await Promise.race([it.next(), ended]);
      if (next === null || next.done) return;
      yield next.value;
    }
  } finally {
    void Promise.resolve(it.return?.()).catch(() => {});
  }
}
