/**
 * Types of the session machine (machines/voice.ts): its input (deadlines,
 * engine names, prompt), its context, the events it accepts from clients
 * through the bridge and from its turn, and the domain events the two
 * machines emit. The stage actors' inputs and events are stage contracts
 * (actors/contracts/), re-exported here for the machines' users.
 */
import type { AudioSourceKind, ChatMessage, PcmFormat } from "../actors/contracts/index.js";
import type { PlayoutEvent } from "./turn-types.js";

export type {
  DemoSttInput,
  LlmEvent,
  LlmInput,
  RecallInput,
  RecallOutput,
  StageEvent,
  StoreInput,
  StoreOutput,
  SttControlEvent,
  SttEvent,
  SttInput,
  ToolsEvent,
  ToolsInput,
  TtsEvent,
  TtsInput,
} from "../actors/contracts/index.js";

export type ListenMode = "push_to_talk" | "continuous";
/** How a turn started (matches the wire's TurnMode). */
export type TurnMode = ListenMode | "text" | "demo";
/** Coarse state a UI shows (matches the wire's MachineState). */
export type Phase = "idle" | "listening" | "thinking" | "speaking" | "stopped";

/** Per-stage deadlines in milliseconds. Each is an `after` delay of the stage's state. */
export interface Deadlines {
  /** Listening, from stt_start to the final transcript. */
  sttMs: number;
  /** One memory operation (recall before the answer, store after it). */
  memoryMs: number;
  /** One model request (a round), from llm_start to its end. */
  llmMs: number;
  /** One round of tool calls (all calls of one model reply). */
  toolMs: number;
  /** Synthesis of one sentence. */
  ttsMs: number;
}

export const DEFAULT_DEADLINES: Deadlines = { sttMs: 30_000, memoryMs: 2_000, llmMs: 30_000, toolMs: 10_000, ttsMs: 15_000 };

/** Engine names shown in stage events (the machine never touches the engines themselves). */
export interface EngineInfo {
  stt: { name: string; source: AudioSourceKind };
  demoStt: { name: string; source: AudioSourceKind };
  llm: { name: string; model: string };
  tts: { name: string; voice: string; format: PcmFormat };
}

export const DEFAULT_ENGINE_INFO: EngineInfo = {
  stt: { name: "none", source: "none" },
  demoStt: { name: "scripted", source: "scripted" },
  llm: { name: "none", model: "none" },
  tts: { name: "none", voice: "none", format: { sample_rate: 16000, sample_type: "s16le", channels: 1 } },
};

export const DEFAULT_SYSTEM_PROMPT =
  "You are Coda, a helpful voice assistant. Answer in short spoken sentences without markdown. Use tools when they help.";
export const DEFAULT_DEMO_TEXT = "What time is it, and what did I tell you about my plans?";

/** What `createActor(voiceMachine, { input })` takes. Everything is optional. */
export interface VoiceMachineInput {
  deadlines?: Partial<Deadlines>;
  engines?: Partial<EngineInfo>;
  systemPrompt?: string;
  /** Utterance of demo_flow when the command gives none. */
  demoText?: string;
  /** Conversation messages kept across turns (oldest whole turns are dropped first). Default 40. */
  maxHistory?: number;
  /** Memories recalled per turn. Default 3. */
  recallLimit?: number;
  /** Tool rounds per turn before the turn fails with `tool_rounds_exceeded`. Default 4. */
  maxToolRounds?: number;
  /** Send each sentence to speech as soon as it is complete (true, default) or only after the whole answer (false). */
  pipelined?: boolean;
  /** Prefix of turn ids ("t" gives t1, t2, ...). */
  turnPrefix?: string;
}

/** What the session machine tracks; the running turn's own state lives in the turn machine (machines/turn.ts). */
export interface VoiceContext {
  deadlines: Deadlines;
  engines: EngineInfo;
  systemPrompt: string;
  demoText: string;
  maxHistory: number;
  recallLimit: number;
  maxToolRounds: number;
  pipelined: boolean;
  turnPrefix: string;
  /** Listening mode of the voice session; null outside one. */
  listenMode: ListenMode | null;
  /**
   * The audio owner: the client whose stt_start opened the voice session (its
   * audio feeds the utterances; only its frames are taken). Null outside a
   * voice session, when it was opened without naming a client, or after the
   * owner left.
   */
  audioOwner: string | null;
  /** The owner said its audio is echo-cancelled (stt_start `echo_cancellation`): barge-in by voice may apply. */
  echoCancellation: boolean;
  /** stt_stop arrived in a continuous session (or the last turn ended the session): rest at idle after this turn. */
  stopAfterTurn: boolean;
  /** Turns started so far; the running (or last) turn is `${turnPrefix}${turnCount}`. */
  turnCount: number;
  /** How the running (or last) turn started: its mode, and its text (typed turns) or utterance (demo turns). */
  request: TurnRequest;
  /** The conversation so far (finished turns), oldest first. */
  history: ChatMessage[];
  /** What the running turn reported it had heard just before a cut (answering only), or null. */
  heard: HeardReport | null;
  /** Turns cut short whose heard answer is being stored (machines/cut-memory.ts), oldest first. */
  storingCut: string[];
  phase: Phase;
  /** Detail of the phase, e.g. "thinking.recalling". */
  path: string;
}

/** How a turn was asked for. */
export interface TurnRequest {
  mode: TurnMode;
  /** The typed text (text turns), the utterance (demo turns), null for voice turns. */
  text: string | null;
  /**
   * Whose long-term memory the turn recalls and stores, and whom its tools
   * act for: the user of the connection whose command started it
   * (actors/contracts/user.ts); a continuous session's next turns keep it.
   */
  userId: string;
  /** The client whose command asked for the turn (a continuous session's next turn: its audio owner); null when none is known. */
  client: string | null;
}

// --- events the session machine accepts ----------------------------------------

/** From clients, through the bridge (event names the wire's commands map to). */
export type UserEvent =
  /** stt_start: `client` becomes the audio owner (none: the machine runs without clients, as in tests). `userId`: the turn's user (default `default`). */
  | { type: "user.listen"; mode: ListenMode; client?: string; echoCancellation?: boolean; userId?: string }
  | { type: "user.stop_listening" }
  /** A client disconnected; when it owns the audio, its utterance fails (`client_gone`) or the session ends after the answer. */
  | { type: "user.left"; client: string }
  /** `client`, on these and on user.listen: the client that sent the command (named when it cuts another client's turn); `userId`: the connection's user. */
  | { type: "user.text"; text: string; client?: string; userId?: string }
  | { type: "user.demo"; text?: string; client?: string; userId?: string }
  | { type: "user.stop_speaking"; client?: string }
  | { type: "system.shutdown" };

/**
 * What the turn machine sends its session: each coarse state it enters (the
 * session's phase), and each stage it enters (what the user may do next
 * depends on it). Its domain events are not sent: listeners take them from
 * the turn itself (machines/emitted.ts), one machine step fewer per event.
 */
export type TurnReport =
  | { type: "turn.phase"; turnId: string; state: Phase; path: string }
  | { type: "turn.stage"; stage: TurnStage }
  /** How far the answer was heard just before a cut (from the playout clock), with the user's words: a cut turn's memory. */
  | { type: "turn.heard"; turnId: string; user: string; text: string };

/**
 * What the memory of a cut turn (machines/cut-memory.ts) sends the session:
 * each domain event it emits (`memory.stored` or `memory.failed`), then
 * that it is done.
 */
export type CutMemoryReport = { type: "cut.emitted"; emitted: VoiceEmitted } | { type: "cut.done"; turnId: string };

/** What the session keeps of the running turn's last `turn.heard` report (until it cuts the turn). */
export interface HeardReport {
  turnId: string;
  user: string;
  text: string;
}

/** The turn's top-level stage, as the session mirrors it. */
export type TurnStage = "listening" | "answering" | "remembering";

/**
 * Everything the session machine accepts: client commands, its turn's
 * reports, those of cut turns' memories, and the playout clock's reports
 * about the running turn's answer (forwarded to the turn: nothing outside
 * the session writes into the turn).
 */
export type VoiceEvent = UserEvent | TurnReport | CutMemoryReport | PlayoutEvent;

// --- domain events the machine emits -------------------------------------------

export interface MemoryHitSummary {
  id: string;
  kind: string;
  preview: string;
  score: number;
}

/**
 * What the machine announces (typed `emit`). The bridge maps these to wire
 * events; a few (`memory.recall_started`, `llm.round_ended`, `tools.finished`,
 * `turn.started`) only feed the latency figures.
 */
export type VoiceEmitted =
  | { type: "state.changed"; state: Phase; previous: Phase; path: string; turnId: string | null; mode: ListenMode | null }
  | { type: "turn.started"; turnId: string; mode: TurnMode }
  | { type: "stt.started"; turnId: string; mode: "push_to_talk" | "continuous" | "demo"; engine: string; source: AudioSourceKind }
  | { type: "stt.progress"; turnId: string; text: string; index: number }
  | {
      type: "stt.result";
      turnId: string;
      text: string;
      confidence: number | null;
      /** How long the utterance waited for a busy recogniser (ms); absent: it did not. */
      queuedMs?: number;
      /** How long its voice-activity detector waited for a busy model (ms, over all frames); absent: it did not. */
      vadQueuedMs?: number;
    }
  | { type: "stt.failed"; turnId: string; code: string; message: string }
  | { type: "memory.recall_started"; turnId: string; query: string }
  | { type: "memory.recalled"; turnId: string; query: string; hits: MemoryHitSummary[] }
  | { type: "memory.failed"; turnId: string; operation: "recall" | "store"; code: string; message: string }
  | { type: "memory.stored"; turnId: string; id: string; kind: string; preview: string; interrupted: boolean }
  | { type: "llm.started"; turnId: string; engine: string; model: string; round: number }
  | { type: "llm.progress"; turnId: string; delta: string; index: number }
  | { type: "llm.round_ended"; turnId: string; round: number; reason: "stop" | "length" | "tool_calls" | "failed" | "interrupted" }
  | { type: "llm.result"; turnId: string; text: string; finishReason: "stop" | "length" | "interrupted"; rounds: number }
  | { type: "llm.failed"; turnId: string; code: string; message: string; partialText: string }
  | { type: "tool.called"; turnId: string; callId: string; name: string; arguments: unknown }
  | { type: "tool.result"; turnId: string; callId: string; name: string; preview: string; durationMs: number }
  | {
      type: "tool.failed";
      turnId: string;
      callId: string;
      name: string;
      code: string;
      message: string;
      issues?: { path: string; message: string }[];
      /** null: the machine cannot know (a call cancelled with its turn); the bridge uses the time since the tool round started. */
      durationMs: number | null;
    }
  | { type: "tools.finished"; turnId: string; round: number }
  | { type: "tts.started"; turnId: string; engine: string; voice: string; format: PcmFormat }
  | {
      type: "tts.audio";
      turnId: string;
      sentenceIndex: number;
      chunkIndex: number;
      text: string;
      chars: number;
      audioMs: number;
      bytes: number;
      pcm: Uint8Array;
      /** The first chunk of a sentence: how long the sentence waited for a busy synthesiser (ms); absent: it did not. */
      queuedMs?: number;
    }
  | { type: "tts.result"; turnId: string; sentences: number; chunks: number; chars: number; audioMs: number; interrupted: boolean }
  | { type: "tts.failed"; turnId: string; code: string; message: string }
  | { type: "turn.ended"; turnId: string; mode: TurnMode; outcome: "completed" | "failed" | "interrupted" }
  | {
      type: "turn.interrupted";
      turnId: string;
      reason: "barge_in" | "stop" | "shutdown";
      state: Phase;
      /** What the cut turn's user got (see CutOutcome). */
      outcome: CutOutcome;
      /** The client whose command started the cut turn (TurnRequest.client). */
      client: string | null;
      /** The user's words of the cut turn (typed, or the transcript), null when none were taken. */
      question: string | null;
      /** The turn that replaced it (barge_in). */
      by: string | null;
      /** The client whose command cut it (barge_in, stop); null at shutdown or when none is known. */
      byClient: string | null;
    };

/**
 * What the user of a cut turn got:
 * - `utterance_dropped`: cut while listening; no transcript was taken, nothing is answered;
 * - `unanswered`: the question was taken, but no word of the answer was heard;
 * - `answer_cut`: part of the answer was heard (what the history and memory keep);
 * - `answered`: the answer had been heard to its end (the turn was being stored).
 */
export type CutOutcome = "utterance_dropped" | "unanswered" | "answer_cut" | "answered";

export type VoiceEmittedType = VoiceEmitted["type"];
