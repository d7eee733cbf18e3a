/**
 * Per-turn latency bookkeeping for the bridge. It watches the voice
 * machine's domain events, stamps them with a monotonic clock and produces
 * the durations carried by stt_result, memory_recall, llm_result, tts_result
 * (and tool_error of a cancelled call) and, at the end of each turn, one latency_trace,
 * with the time the turn's stages waited for busy shared engines as their
 * events report it (`stt.result`, `tts.audio`). docs/latency.md defines
 * every figure and how they add up.
 */
import { round3 } from "../../actors/round3.js";
import type { TurnMode, VoiceEmitted } from "../../machines/voice-types.js";
import type { EventData } from "../protocol/index.js";

export type LatencyTrace = EventData<"latency_trace">;

const queued = (ms: number | undefined) => (ms === undefined ? null : round3(ms));

/** Figures of a latency_trace that metrics summarise (all but ids and flags). */
export const LATENCY_FIGURES = [
  "stt_ms",
  "memory_ms",
  "llm_first_token_ms",
  "llm_total_ms",
  "tool_ms",
  "tts_first_audio_ms",
  "tts_total_ms",
  "input_to_first_audio_ms",
  "total_ms",
  "stt_queued_ms",
  "vad_queued_ms",
  "tts_queued_ms",
] as const satisfies readonly (keyof LatencyTrace)[];
export type LatencyFigure = (typeof LATENCY_FIGURES)[number];

interface Marks {
  mode: TurnMode;
  start: number;
  sttStart?: number;
  sttEnd?: number;
  inputEnd?: number;
  memStart?: number;
  memEnd?: number;
  llmStart?: number;
  roundStart?: number;
  /** Model time of finished rounds. */
  llmModelMs: number;
  llmRan: boolean;
  firstTokenModelMs?: number;
  llmEnd?: number;
  toolStart?: number;
  toolMs: number;
  toolRan: boolean;
  ttsStart?: number;
  firstAudio?: number;
  ttsEnd?: number;
  /** Waits for busy shared engines (ms): set when the stage runs, summed as its events report them. */
  sttQueued?: number;
  vadQueued?: number;
  ttsQueued?: number;
}

/** Turn timings, fed with every emitted domain event in order. */
export class LatencyTracker {
  readonly #turns = new Map<string, Marks>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /**
   * Record `event` at the current time. Returns the duration (ms) the
   * matching wire event carries, when it carries one (stt_result,
   * memory_recall, llm_result, tts_result).
   */
  record(event: VoiceEmitted): number | undefined {
    const now = this.#now();
    if (event.type === "turn.started") {
      this.#turns.set(event.turnId, { mode: event.mode, start: now, llmModelMs: 0, llmRan: false, toolMs: 0, toolRan: false });
      // Typed text is complete when the command arrives.
      if (event.mode === "text") this.#turns.get(event.turnId)!.inputEnd = now;
      return undefined;
    }
    if (!("turnId" in event) || event.turnId === null) return undefined;
    const m = this.#turns.get(event.turnId);
    if (!m) return undefined;
    switch (event.type) {
      case "stt.started":
        m.sttStart = now;
        m.sttQueued = 0;
        m.vadQueued = 0;
        return undefined;
      case "stt.result":
        m.sttQueued = (m.sttQueued ?? 0) + (event.queuedMs ?? 0);
        m.vadQueued = (m.vadQueued ?? 0) + (event.vadQueuedMs ?? 0);
        m.sttEnd = now;
        m.inputEnd = now;
        return round3(now - (m.sttStart ?? m.start));
      case "stt.failed":
        m.sttEnd = now;
        m.inputEnd = now;
        return round3(now - (m.sttStart ?? m.start));
      case "memory.recall_started":
        m.memStart = now;
        m.inputEnd ??= now;
        return undefined;
      case "memory.recalled":
        m.memEnd = now;
        return round3(now - (m.memStart ?? now));
      case "memory.failed":
        if (event.operation === "recall") m.memEnd = now;
        return undefined;
      case "llm.started":
        m.llmStart ??= now;
        m.roundStart = now;
        m.llmRan = true;
        if (m.toolStart !== undefined) {
          m.toolMs += now - m.toolStart;
          m.toolStart = undefined;
        }
        return undefined;
      case "llm.progress":
        if (m.firstTokenModelMs === undefined && m.roundStart !== undefined) m.firstTokenModelMs = m.llmModelMs + (now - m.roundStart);
        return undefined;
      case "llm.round_ended":
        if (m.roundStart !== undefined) m.llmModelMs += now - m.roundStart;
        m.roundStart = undefined;
        return undefined;
      case "tool.called":
        m.toolRan = true;
        m.toolStart ??= now;
        return undefined;
      case "tool.failed":
        // Only used for calls the machine cannot time (cancelled with their turn): time since the round started.
        return round3(now - (m.toolStart ?? now));
      case "tools.finished":
        // The round's wall time ends when the next model request starts (llm.started),
        // or here when the turn ends before that.
        return undefined;
      case "llm.result":
      case "llm.failed":
        m.llmEnd = now;
        return round3(now - (m.llmStart ?? now));
      case "tts.started":
        m.ttsStart = now;
        m.ttsQueued = 0;
        return undefined;
      case "tts.audio":
        m.firstAudio ??= now;
        m.ttsQueued = (m.ttsQueued ?? 0) + (event.queuedMs ?? 0);
        return undefined;
      case "tts.result":
      case "tts.failed":
        m.ttsEnd = now;
        return round3(now - (m.ttsStart ?? now));
      default:
        return undefined;
    }
  }

  /** Close the turn and build its latency_trace (null when the turn is unknown). */
  finish(turnId: string, interrupted: boolean): LatencyTrace | null {
    const m = this.#turns.get(turnId);
    if (!m) return null;
    this.#turns.delete(turnId);
    const now = this.#now();
    if (m.toolStart !== undefined) m.toolMs += now - m.toolStart;
    if (m.roundStart !== undefined) m.llmModelMs += now - m.roundStart;
    const span = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? null : round3(b - a));
    return {
      turn_id: turnId,
      mode: m.mode,
      interrupted,
      stt_ms: span(m.sttStart, m.sttEnd),
      memory_ms: span(m.memStart, m.memEnd),
      llm_first_token_ms: m.firstTokenModelMs === undefined ? null : round3(m.firstTokenModelMs),
      llm_total_ms: m.llmRan ? round3(m.llmModelMs) : null,
      tool_ms: m.toolRan ? round3(m.toolMs) : null,
      tts_first_audio_ms: span(m.ttsStart, m.firstAudio),
      tts_total_ms: span(m.ttsStart, m.ttsEnd ?? (m.ttsStart === undefined ? undefined : now)),
      input_to_first_audio_ms: span(m.inputEnd, m.firstAudio),
      total_ms: round3(now - m.start),
      stt_queued_ms: queued(m.sttQueued),
      vad_queued_ms: queued(m.vadQueued),
      tts_queued_ms: queued(m.ttsQueued),
    };
  }

  /** Turns being tracked (for tests: finished turns must not pile up). */
  get open(): number {
    return this.#turns.size;
  }
}
