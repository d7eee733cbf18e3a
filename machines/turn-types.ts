/**
 * Types of the turn machine (machines/turn.ts): one conversation turn from
 * listening (or typed text) to the stored memory. Its context is never null:
 * the turn exists exactly as long as its actor runs.
 */
import type { ActorRef, Snapshot } from "xstate";
import type { ChatMessage, StageEvent, ToolCall } from "../actors/contracts/index.js";
import type { Deadlines, EngineInfo, ListenMode, Phase, TurnMode, TurnReport } from "./voice-types.js";

/**
 * Where a turn sends its reports (`turn.phase`, `turn.stage`, `turn.heard`):
 * the session that invoked it, passed in the turn's input (XState's way to
 * address a parent without reaching into the actor's internals).
 */
export type TurnReportTarget = ActorRef<Snapshot<unknown>, TurnReport>;

/** The session's settings a turn runs with. */
export interface TurnSettings {
  deadlines: Deadlines;
  engines: EngineInfo;
  systemPrompt: string;
  /** Memories recalled per turn. */
  recallLimit: number;
  /** Tool rounds per turn before the turn fails with `tool_rounds_exceeded`. */
  maxToolRounds: number;
  /** Send each sentence to speech as soon as it is complete. */
  pipelined: boolean;
}

/** What the session gives a turn when it invokes it. */
export interface TurnInput {
  id: string;
  mode: TurnMode;
  /** The typed text (text turns); null until heard otherwise. */
  userText: string | null;
  /** The utterance of a demo turn. */
  demoText: string | null;
  /** Whose memories the turn recalls and stores, and whom its tools act for. Default `default`. */
  userId?: string;
  /** Listening mode of the session (shown in state changes). */
  listenMode: ListenMode | null;
  /** The coarse state shown before this turn (so its first announcement names it as `previous`). */
  phase: Phase;
  path: string;
  /** The conversation before this turn. */
  history: ChatMessage[];
  settings: TurnSettings;
  /** The session to report to. Default: none (the turn runs on its own, as in tests). */
  session?: TurnReportTarget | null;
}

/** A recalled memory as the turn keeps it (copied, so the store's objects are never frozen). */
export interface RecalledMemory {
  id: string;
  kind: string;
  text: string;
  score: number;
}

/** Speech of the turn's answer, sentence by sentence. */
export interface TurnSpeech {
  started: boolean;
  finished: boolean;
  /** Sentences waiting for synthesis, in order. */
  queue: string[];
  /** The sentence being synthesised. */
  current: string | null;
  /** Index of `current` (0-based). */
  sentence: number;
  chunks: number;
  chars: number;
  audioMs: number;
  /**
   * The playout's buffer is at the synthesis bound (`playout.full` came, `playout.room` not yet):
   * no new sentence starts. `aheadMs` is the audio that was waiting when it filled.
   */
  full: { aheadMs: number } | null;
}

/** How the turn ended (set on the way to its final state). */
export interface TurnEnding {
  outcome: "completed" | "failed";
  /** The session should rest at idle even in continuous mode (nothing heard, broken recogniser, endless tool rounds). */
  endSession: boolean;
}

/** Everything the turn machine tracks. */
export interface TurnContext {
  id: string;
  mode: TurnMode;
  /** Demo utterance (demo turns only). */
  demoText: string | null;
  /** The user's words, once known. */
  userText: string | null;
  /** Whose memories the turn recalls and stores, and whom its tools act for (actors/contracts/user.ts). */
  userId: string;
  partials: number;
  /** stt_start was announced and neither stt_result nor stt_error has closed it yet. */
  listening: boolean;
  recalled: RecalledMemory[];
  /** Model request number (0-based). */
  round: number;
  /** Text of the current round. */
  roundText: string;
  /** The whole answer so far (all rounds). */
  answer: string;
  deltas: number;
  /** idle: no request yet; running: a round is streaming; tools: a tool round runs; done: the answer is complete. */
  llm: "idle" | "running" | "tools" | "done";
  /** Calls of the running tool round, and which have reported. */
  calls: ToolCall[];
  reported: string[];
  /** Messages of this turn (user, assistant with tool calls, tool results, answer). */
  messages: ChatMessage[];
  speech: TurnSpeech;
  settings: TurnSettings;
  history: ChatMessage[];
  listenMode: ListenMode | null;
  phase: Phase;
  path: string;
  ending: TurnEnding;
  /** What the listeners had heard of the answer when the turn was cut, or when they all left or stopped before its end (from the playout clock), or null. */
  heard: string | null;
  /** The session to report to (from the input); null when the turn runs on its own. */
  session: TurnReportTarget | null;
}

/** What a finished turn hands back to its session. */
export interface TurnOutput extends TurnEnding {
  turnId: string;
  /** The turn's messages for the conversation history (a failed turn's partial answer marked `cut`). */
  messages: ChatMessage[];
}

/**
 * The playout clock's reports about the answer (server/pipeline/playout.ts; the bridge sends them to
 * the session, which forwards them to its running turn):
 * it has been heard to its end, how far it was heard just before an interruption,
 * and whether the audio synthesised ahead of the listeners is at the synthesis bound
 * (`full`: start no new sentence) or back under it (`room`).
 */
export type PlayoutEvent =
  | { type: "playout.ended"; turnId: string; heardMs: number }
  | { type: "playout.heard"; turnId: string; text: string; heardMs: number }
  | { type: "playout.full"; turnId: string; aheadMs: number }
  | { type: "playout.room"; turnId: string };

/**
 * What the session forwards from the user: the end of the utterance's audio
 * (stt_stop), and that the client streaming it left (its recogniser is told
 * the audio is lost and reports the failure itself).
 */
export type TurnUserEvent = { type: "user.stop_listening" } | { type: "user.left" };

/** Everything the turn machine accepts: its stage actors' events, what the session forwards from the user, and the playout's reports. */
export type TurnEvent = StageEvent | TurnUserEvent | PlayoutEvent;
