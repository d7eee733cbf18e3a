/**
 * The speech-to-text stage as XState logic. It opens the audio source, runs
 * the engine over it and reports `stt.partial` / `stt.final` / `stt.error`
 * to the machine. The utterance's audio ends at whichever comes first:
 * - the voice-activity detector (actors/stt/vad.ts; Silero or energy, one
 *   detector per utterance) hears the end of speech (`hangoverMs` of
 *   non-speech after speech) on live and file audio, in both listening modes;
 * - `audio.end` from the machine (stt_stop);
 * - the source itself ends.
 * The engine then finishes the utterance with what it has. Stopping the
 * actor aborts the engine and the source; nothing is sent back after that.
 */
import { fromCallback } from "xstate";
import type { DemoSttInput, SttControlEvent, SttEvent, SttInput } from "../contracts/index.js";
import type { PcmFormat } from "../audio.js";
import { EngineError, isAbortError } from "../engine-error.js";
import { parseEngineOutput, SttUpdateSchema } from "../engine-output.js";
import { aborted, sleep, STAGE_STOPPED } from "../sleep.js";
import { ScriptedSttEngine, silentAudioSource } from "./testing/scripted.js";
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
  return fromCallback<SttControlEvent, SttInput>(({ sendBack, receive }) => {
    const controller = new AbortController();
    const audioEnd = new AbortController();
    let open = true;
    receive((event) => {
      if (event.type === "audio.end") audioEnd.abort();
    });
    // The source ends the stream itself on stt_stop (after handing over what it already has);
    // endWhen is the safety net for a source that does not.
    const stream = endWhen(source.open(AbortSignal.any([controller.signal, audioEnd.signal])), audioEnd.signal, END_GRACE_MS);
    // One detector per utterance: its clock and (Silero) recurrent state start at stt_start.
    const audio = vad ? untilUtteranceEnd(stream, vad.create(source.format), options.onVadEvent) : stream;
    void transcribeUtterance(options.engine, audio, source.format, controller.signal, (e) => {
      if (open) sendBack(e);
    });
    return () => {
      open = false;
      controller.abort(STAGE_STOPPED);
    };
  });
}

export interface DemoSttLogicOptions {
  /** Delay before each partial of the scripted recogniser (ms). Default 40. */
  partialDelayMs?: number;
}

/** Logic for the machine's `demoStt` slot: a scripted recogniser that hears the demo text. */
export function createDemoSttLogic(options: DemoSttLogicOptions = {}) {
  return fromCallback<SttControlEvent, DemoSttInput>(({ input, sendBack }) => {
    const controller = new AbortController();
    let open = true;
    const engine = new ScriptedSttEngine({ utterances: [input.text], partialDelayMs: options.partialDelayMs ?? 40 });
    const source = silentAudioSource("scripted");
    void transcribeUtterance(engine, source.open(controller.signal), source.format, controller.signal, (e) => {
      if (open) sendBack(e);
    });
    return () => {
      open = false;
      controller.abort(STAGE_STOPPED);
    };
  });
}

/**
 * Run one utterance through `engine` and report it with `send`. Exactly one
 * of `stt.final` / `stt.error` ends it, unless `signal` aborted first (then nothing).
 * An update that is not an SttUpdate ends it with `stt.error` code `malformed_output`.
 */
export async function transcribeUtterance(
  engine: SttEngine,
  audio: AsyncIterable<Uint8Array>,
  format: PcmFormat,
  signal: AbortSignal,
  send: (event: SttEvent) => void,
): Promise<void> {
  try {
    for await (const raw of engine.transcribe(audio, { signal, format })) {
      if (signal.aborted) return;
      const update = parseEngineOutput(SttUpdateSchema, raw, "The recogniser's update");
      if (update.kind === "partial") send({ type: "stt.partial", text: update.text });
      else if (update.kind === "final") {
        const c = update.confidence;
        send({ type: "stt.final", text: update.text, confidence: typeof c === "number" && c >= 0 && c <= 1 ? c : null });
        return;
      }
    }
    if (!signal.aborted) send({ type: "stt.error", code: "engine_error", message: "The recogniser ended without a final transcript" });
  } catch (err) {
    if (signal.aborted || isAbortError(err)) return;
    send({
      type: "stt.error",
      code: err instanceof EngineError ? err.code : "engine_error",
      message: err instanceof Error ? err.message : String(err),
    });
  }
}

/** How long a source may take to end its stream after stt_stop before the actor ends it. */
const END_GRACE_MS = 250;

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
