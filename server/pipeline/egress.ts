/**
 * What leaves one session for the wire and the speakers, in order. Each
 * domain event of the session's machines (machines/emitted.ts gives them
 * as one ordered stream) goes through the observers that measure it (the
 * latency tracker: durations and one latency_trace per turn, kept in the
 * metrics window) and the tts_progress folder, updates the playout (audio
 * chunks, the end of synthesis, a cut), and its wire events
 * (wire-events.ts, a pure function of the event and those figures) go to
 * the outbox. The playout updates go through the outbox too, so that they
 * happen at delivery, in order with the events around them: a cut turn's
 * `turn_interrupted` reads what was heard after the turn's last audio
 * reached the playout.
 *
 * Per session, no module state: a server with many sessions makes one per
 * session.
 */
import { toSpeakable } from "../../actors/tts/speakable.js";
import type { VoiceEmitted } from "../../machines/voice-types.js";
import type { EventData } from "../protocol/index.js";
import { LatencyTracker } from "./latency.js";
import { LatencyWindow } from "./metrics.js";
import type { Outbox } from "./outbox.js";
import type { Heard, Playout } from "./playout.js";
import { TtsProgressFolder } from "./tts-progress.js";
import { NO_FIGURES, progressStep, toWireEvents } from "./wire-events.js";

/** No tts_progress (shared: most events complete none). */
const NO_PROGRESS: readonly EventData<"tts_progress">[] = Object.freeze([]);

export interface EgressOptions {
  outbox: Outbox;
  playout: Playout;
  /** Monotonic clock of the latency figures (ms). */
  now: () => number;
  /** Recent turns covered by `metrics()`. Default 100. */
  metricsWindow?: number;
  /** tts_progress granularity: 0 one event per sentence, N one per N ms of audio. Default 0. */
  ttsProgressMs?: number;
}

export class Egress {
  readonly #outbox: Outbox;
  readonly #playout: Playout;
  readonly #tracker: LatencyTracker;
  readonly #window: LatencyWindow;
  readonly #progress: TtsProgressFolder;
  /** What was heard of turns cut in the current step, for their turn_interrupted. */
  readonly #cutHeard = new Map<string, Heard>();

  constructor(options: EgressOptions) {
    this.#outbox = options.outbox;
    this.#playout = options.playout;
    this.#tracker = new LatencyTracker(options.now);
    this.#window = new LatencyWindow(options.metricsWindow);
    this.#progress = new TtsProgressFolder(options.ttsProgressMs ?? 0);
  }

  /** One domain event of the session, in order. */
  readonly emitted = (e: VoiceEmitted): void => {
    const durationMs = this.#tracker.record(e) ?? 0;
    if (e.type === "turn.interrupted") {
      // Built at delivery, when the cut queued with the turn's end (just before) has happened.
      const id = e.turnId;
      this.#outbox.events(() => toWireEvents(e, { ...NO_FIGURES, heard: this.#takeHeard(id) }));
      return;
    }
    const progress = this.#progressOf(e);
    let trace = null;
    if (e.type === "turn.ended") {
      trace = this.#tracker.finish(e.turnId, e.outcome === "interrupted");
      if (trace) this.#window.add(trace);
    }
    const figures = durationMs === 0 && progress.length === 0 && trace === null ? NO_FIGURES : { durationMs, progress, trace, heard: null };
    const events = toWireEvents(e, figures);
    const update = this.#playoutUpdate(e);
    if (update === null) return this.#outbox.events(events);
    // The playout is updated after the progress the event completes and before its own event.
    this.#outbox.events(events.slice(0, progress.length));
    this.#outbox.run(update);
    this.#outbox.events(events.slice(progress.length));
  };

  /** Latency statistics of the recent turns (get_performance_metrics). */
  metrics(): EventData<"performance_metrics"> {
    return this.#window.summary();
  }

  #progressOf(e: VoiceEmitted): readonly EventData<"tts_progress">[] {
    const step = progressStep(e);
    if (step === null) return NO_PROGRESS;
    if (step === "flush") return this.#progress.flush((e as { turnId: string }).turnId);
    if (e.type !== "tts.audio") return NO_PROGRESS;
    return this.#progress.add({
      turnId: e.turnId,
      sentenceIndex: e.sentenceIndex,
      chunkIndex: e.chunkIndex,
      text: e.text,
      spoken: toSpeakable(e.text),
      audioMs: e.audioMs,
      bytes: e.bytes,
    });
  }

  /** What `e` does to the playout (run at delivery), if anything. */
  #playoutUpdate(e: VoiceEmitted): (() => void) | null {
    const playout = this.#playout;
    if (e.type === "tts.audio") {
      const chunk = { turnId: e.turnId, chunkIndex: e.chunkIndex, sentenceIndex: e.sentenceIndex, text: e.text, audioMs: e.audioMs, pcm: e.pcm };
      return () => playout.audio(chunk);
    }
    if (e.type === "tts.result" && !e.interrupted) {
      const id = e.turnId;
      return () => playout.synthesisEnded(id);
    }
    if (e.type === "turn.ended" && e.outcome !== "completed") {
      // Cut at delivery, after the audio of earlier steps reached the playout.
      const id = e.turnId;
      return () => {
        const heard = playout.cut(id);
        if (heard) this.#cutHeard.set(id, heard);
      };
    }
    return null;
  }

  #takeHeard(turnId: string): Heard | null {
    const heard = this.#cutHeard.get(turnId) ?? null;
    this.#cutHeard.delete(turnId);
    return heard;
  }
}
