/**
 * The domain events of a turn that are built in more than one place: a
 * stage's failure (one builder for every stage, whatever failed it), the
 * outcome of a memory store (the turn's own, or a cut turn's:
 * machines/cut-memory.ts), and the events that close a turn cut short (the
 * session's interruptions and the turn's own failures). Pure functions; the
 * machines emit what they return.
 */
import { stageErrorCode, stageErrorMessage, type StoreOutput } from "../actors/contracts/index.js";
import type { TurnContext } from "./turn-types.js";
import type { VoiceEmitted } from "./voice-types.js";

/** A stage whose failure a turn reports: recognition, one memory operation, the model, synthesis. */
export type FailingStage = "stt" | "recall" | "store" | "llm" | "tts";

/**
 * Why a stage failed:
 * - `deadlineMs`: its named `after` deadline (of that many ms) passed;
 * - `event`: its actor reported an error event (`stt.error`, `llm.error`, `tts.error`);
 * - `error`: its promise actor rejected (memory) with this error.
 */
export type StageFailureCause = { deadlineMs: number } | { event: { type: string; code?: unknown; message?: unknown } } | { error: unknown };

/** What a stage's failure says: a stable snake_case code and a message for people. */
export interface StageFailure {
  code: string;
  message: string;
}

const DEADLINE_MESSAGE: Record<FailingStage, (ms: number) => string> = {
  stt: (ms) => `No final transcript within ${ms} ms`,
  recall: (ms) => `Memory recall took longer than ${ms} ms`,
  store: (ms) => `Memory store took longer than ${ms} ms`,
  llm: (ms) => `The model did not finish within ${ms} ms`,
  tts: (ms) => `Synthesis of one sentence took longer than ${ms} ms`,
};

/** What a failure without a usable code or message says (an event that is not the stage's error event). */
const FALLBACK: Record<FailingStage, StageFailure> = {
  stt: { code: "engine_error", message: "Speech recognition failed" },
  recall: { code: "storage_error", message: "The memory store failed" },
  store: { code: "storage_error", message: "The memory store failed" },
  llm: { code: "engine_error", message: "The model failed" },
  tts: { code: "engine_error", message: "Speech synthesis failed" },
};

/** The error event each streaming stage's actor reports. */
const ERROR_EVENT: Partial<Record<FailingStage, string>> = { stt: "stt.error", llm: "llm.error", tts: "tts.error" };

/**
 * The code and message of a stage's failure: the one place they are built.
 * A deadline gives code `timeout` and a message naming the deadline; the
 * stage's own error event is relayed as its actor reported it; a rejected
 * promise stage gives the error's own snake_case code (else the stage's
 * fallback) and its message.
 * @example
 * stageFailure("llm", { deadlineMs: 30_000 }) // { code: "timeout", message: "The model did not finish within 30000 ms" }
 */
export function stageFailure(stage: FailingStage, cause: StageFailureCause): StageFailure {
  if ("deadlineMs" in cause) return { code: "timeout", message: DEADLINE_MESSAGE[stage](cause.deadlineMs) };
  if ("event" in cause) {
    const e = cause.event;
    if (e.type === ERROR_EVENT[stage] && typeof e.code === "string" && typeof e.message === "string") return { code: e.code, message: e.message };
    return FALLBACK[stage];
  }
  return { code: stageErrorCode(cause.error, FALLBACK[stage].code), message: stageErrorMessage(cause.error) };
}

const PREVIEW_CHARS = 80;

/** The first characters of a memory's text, as events show it. */
export const preview = (text: string) => (text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text);

/** `memory.stored` for an item the store kept for turn `turnId` (the turn's own, or a cut turn's: machines/cut-memory.ts). */
export function memoryStoredEvent(turnId: string, item: StoreOutput): VoiceEmitted {
  return { type: "memory.stored", turnId, id: item.id, kind: item.kind, preview: preview(item.text), interrupted: item.interrupted ?? false };
}

/** `memory.failed` for a memory operation of turn `turnId` that failed (`cause`: its deadline or the store's error). */
export function memoryFailedEvent(turnId: string, operation: "recall" | "store", cause: StageFailureCause): VoiceEmitted {
  return { type: "memory.failed", turnId, operation, ...stageFailure(operation, cause) };
}

/** Why a turn was cut short. */
export type CutReason = "barge_in" | "stop" | "shutdown" | "failure";

const CUT_WHY: Record<CutReason, string> = {
  barge_in: "a new turn started (barge-in)",
  stop: "the user stopped the answer",
  shutdown: "the server is stopping",
  failure: "another stage of the turn failed",
};

/**
 * The events that close a turn cut short, so that every start the turn
 * announced gets its end: open listening (`stt.failed` code `interrupted`),
 * tool calls still running (`tool.failed` code `cancelled`), the running
 * generation and speech (reported as interrupted), then the turn's end (for
 * its latency trace). The session calls it when it interrupts a turn; the
 * turn, when one of its stages fails.
 */
export function turnCutEvents(turn: TurnContext, outcome: "failed" | "interrupted", cutLlm: boolean, why: CutReason): VoiceEmitted[] {
  const id = turn.id;
  const out: VoiceEmitted[] = [];
  if (turn.listening) {
    out.push({ type: "stt.failed", turnId: id, code: "interrupted", message: `Listening ended without a transcript: ${CUT_WHY[why]}` });
  }
  if (cutLlm && turn.llm === "tools") {
    for (const call of turn.calls) {
      if (turn.reported.includes(call.id)) continue;
      out.push({ type: "tool.failed", turnId: id, callId: call.id, name: call.name, code: "cancelled", message: `The tool call was cancelled: ${CUT_WHY[why]}`, durationMs: null });
    }
  }
  if (cutLlm && turn.llm === "running") out.push({ type: "llm.round_ended", turnId: id, round: turn.round, reason: "interrupted" });
  if (cutLlm && (turn.llm === "running" || turn.llm === "tools")) {
    out.push({ type: "llm.result", turnId: id, text: turn.answer, finishReason: "interrupted", rounds: turn.round + 1 });
  }
  if (turn.speech.started && !turn.speech.finished) {
    out.push({
      type: "tts.result",
      turnId: id,
      sentences: turn.speech.sentence + (turn.speech.current ? 1 : 0),
      chunks: turn.speech.chunks,
      chars: turn.speech.chars,
      audioMs: turn.speech.audioMs,
      interrupted: true,
    });
  }
  out.push({ type: "turn.ended", turnId: id, mode: turn.mode, outcome });
  return out;
}
