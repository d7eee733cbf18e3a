/**
 * The wire form of the machines' domain events: one pure function from a
 * domain event (machines/voice-types.ts `VoiceEmitted`) to the protocol
 * events it becomes, in order. What a wire event carries that the machine
 * cannot know comes in `WireFigures`, measured by the caller
 * (server/pipeline/egress.ts): the duration the latency tracker took, the
 * tts_progress events folded from synthesised chunks, a turn's latency
 * trace, what was heard of a cut turn. Also pure: what an event does to
 * the tts_progress folder (`progressStep`).
 *
 * Timing marks (`turn.started`, `memory.recall_started`, `llm.round_ended`,
 * `tools.finished`) have no wire form of their own; `tts.audio` has none
 * either (its audio goes to the playout, its progress is folded).
 */
import { round3 } from "../../actors/round3.js";
import type { VoiceEmitted } from "../../machines/voice-types.js";
import type { EventData, EventInput } from "../protocol/index.js";
import type { LatencyTrace } from "./latency.js";
import type { Heard } from "./playout.js";

/** What a domain event's wire form needs beyond the event itself. */
export interface WireFigures {
  /** The duration the latency tracker measured for this event (ms; 0 when it measured none). */
  durationMs: number;
  /** tts_progress events that go out before this event's own (the folder's, completed or flushed by this event). */
  progress: readonly EventData<"tts_progress">[];
  /** The turn's latency trace (turn.ended), null when the tracker did not follow the turn. */
  trace: LatencyTrace | null;
  /** What was heard of the turn when it was cut (turn.interrupted), null when it was not playing out. */
  heard: Heard | null;
}

/** Figures of an event that needs none. */
export const NO_FIGURES: WireFigures = Object.freeze({ durationMs: 0, progress: [], trace: null, heard: null });

/**
 * What a domain event does to the tts_progress folder: a synthesised chunk
 * is added (`add`); the end of speech, a cut answer, a failed model and the
 * end of the turn send what is pending first (`flush`), so a sentence's
 * progress never trails the events that close it.
 */
export function progressStep(e: VoiceEmitted): "add" | "flush" | null {
  switch (e.type) {
    case "tts.audio":
      return "add";
    case "llm.result":
      return e.finishReason === "interrupted" ? "flush" : null;
    case "llm.failed":
    case "tts.result":
    case "tts.failed":
    case "turn.ended":
      return "flush";
    default:
      return null;
  }
}

/**
 * The protocol events of one domain event, in order: the pending
 * tts_progress (`figures.progress`) first, then its own wire event, if it
 * has one.
 * @example
 * toWireEvents({ type: "stt.progress", turnId: "t1", text: "hel", index: 0 }, NO_FIGURES)
 * // [{ type: "stt_progress", data: { turn_id: "t1", text: "hel", index: 0 } }]
 */
export function toWireEvents(e: VoiceEmitted, figures: WireFigures): EventInput[] {
  const own = ownWireEvent(e, figures);
  const { progress } = figures;
  if (progress.length === 0) return own ? [own] : [];
  const out: EventInput[] = [];
  for (let i = 0; i < progress.length; i++) out.push({ type: "tts_progress", data: progress[i]! });
  if (own) out.push(own);
  return out;
}

/** The wire event of `e` itself (null for timing marks and audio chunks). */
function ownWireEvent(e: VoiceEmitted, f: WireFigures): EventInput | null {
  const ms = f.durationMs;
  switch (e.type) {
    case "state.changed":
      return { type: "state_change", data: { state: e.state, previous: e.previous, path: e.path, turn_id: e.turnId, mode: e.mode } };
    case "stt.started":
      return { type: "stt_start", data: { turn_id: e.turnId, mode: e.mode, engine: e.engine, source: e.source } };
    case "stt.progress":
      return { type: "stt_progress", data: { turn_id: e.turnId, text: e.text, index: e.index } };
    case "stt.result":
      return { type: "stt_result", data: { turn_id: e.turnId, text: e.text, confidence: e.confidence, duration_ms: ms } };
    case "stt.failed":
      return { type: "stt_error", data: { turn_id: e.turnId, code: e.code, message: e.message } };
    case "memory.recalled":
      return { type: "memory_recall", data: { turn_id: e.turnId, query: e.query, hits: e.hits, duration_ms: ms } };
    case "memory.failed":
      return { type: "memory_error", data: { turn_id: e.turnId, operation: e.operation, code: e.code, message: e.message } };
    case "memory.stored":
      return { type: "memory_store", data: { turn_id: e.turnId, id: e.id, kind: e.kind, preview: e.preview, interrupted: e.interrupted } };
    case "llm.started":
      return { type: "llm_start", data: { turn_id: e.turnId, engine: e.engine, model: e.model, round: e.round } };
    case "llm.progress":
      return { type: "llm_progress", data: { turn_id: e.turnId, delta: e.delta, index: e.index } };
    case "llm.result":
      return { type: "llm_result", data: { turn_id: e.turnId, text: e.text, finish_reason: e.finishReason, rounds: e.rounds, duration_ms: ms } };
    case "llm.failed":
      return { type: "llm_error", data: { turn_id: e.turnId, code: e.code, message: e.message, partial_text: e.partialText } };
    case "tool.called":
      return { type: "tool_call", data: { turn_id: e.turnId, call_id: e.callId, name: e.name, arguments: e.arguments } };
    case "tool.result":
      return { type: "tool_result", data: { turn_id: e.turnId, call_id: e.callId, name: e.name, preview: e.preview, duration_ms: round3(e.durationMs) } };
    case "tool.failed":
      return {
        type: "tool_error",
        data: {
          turn_id: e.turnId,
          call_id: e.callId,
          name: e.name,
          code: e.code,
          message: e.message,
          ...(e.issues ? { issues: e.issues } : {}),
          // A call cancelled with its turn has no duration of its own: the time since its tool round started.
          duration_ms: round3(e.durationMs ?? ms),
        },
      };
    case "tts.started":
      return { type: "tts_start", data: { turn_id: e.turnId, engine: e.engine, voice: e.voice, format: e.format } };
    case "tts.result":
      return {
        type: "tts_result",
        data: { turn_id: e.turnId, sentences: e.sentences, chunks: e.chunks, chars: e.chars, audio_ms: round3(e.audioMs), duration_ms: ms, interrupted: e.interrupted },
      };
    case "tts.failed":
      return { type: "tts_error", data: { turn_id: e.turnId, code: e.code, message: e.message } };
    case "turn.ended":
      return f.trace ? { type: "latency_trace", data: f.trace } : null;
    case "turn.interrupted":
      return {
        type: "turn_interrupted",
        data: {
          turn_id: e.turnId,
          reason: e.reason,
          state: e.state,
          outcome: e.outcome,
          client: e.client,
          question: e.question,
          by: e.by,
          by_client: e.byClient,
          heard_ms: f.heard?.heardMs ?? 0,
          heard_text: f.heard?.text ?? "",
        },
      };
    // Timing marks (turn.started, memory.recall_started, llm.round_ended, tools.finished) and audio chunks (tts.audio).
    default:
      return null;
  }
}
