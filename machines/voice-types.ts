/**
 * Types of the voice machine: its input (deadlines, engine names, prompt),
 * its context, the events it accepts (from clients through the bridge and
 * from its stage actors) and the domain events it emits. Type-only: the
 * stage actors (actors/) import the event shapes from here, so the machine
 * and its actors agree on one contract without the machine importing I/O.
 */
import type { PcmFormat } from "../actors/audio.js";
import type { ChatMessage, ToolCall } from "../actors/llm/types.js";
import type { MemoryHit, MemoryItem } from "../actors/memory/types.js";
import type { AudioSource } from "../actors/stt/types.js";
import type { ToolOutcome } from "../actors/tools/types.js";

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
  stt: { name: string; source: AudioSource["kind"] };
  demoStt: { name: string; source: AudioSource["kind"] };
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

/** A recalled memory as the machine keeps it (copied, so the store's objects are never frozen). */
export interface RecalledMemory {
  id: string;
  kind: string;
  text: string;
  score: number;
}

/** Everything the machine tracks about the running turn. */
export interface Turn {
  id: string;
  mode: TurnMode;
  /** Demo utterance (demo turns only). */
  demoText: string | null;
  /** The user's words, once known. */
  userText: string | null;
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
  speech: {
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
  };
}

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
  /** stt_stop arrived in a continuous session: rest at idle after this turn. */
  stopAfterTurn: boolean;
  turnCount: number;
  turn: Turn | null;
  /** The conversation so far (finished turns), oldest first. */
  history: ChatMessage[];
  phase: Phase;
  /** Detail of the phase, e.g. "thinking.recalling". */
  path: string;
}

// --- events the machine accepts ------------------------------------------

/** From clients, through the bridge. */
export type UserEvent =
  | { type: "user.listen"; mode: ListenMode }
  | { type: "user.stop_listening" }
  | { type: "user.text"; text: string }
  | { type: "user.demo"; text?: string }
  | { type: "user.stop_speaking" }
  | { type: "system.shutdown" };

/** From the STT actor. */
export type SttEvent =
  | { type: "stt.partial"; text: string }
  | { type: "stt.final"; text: string; confidence: number | null }
  | { type: "stt.error"; code: string; message: string };

/** From the LLM actor. `llm.sentence` carries complete sentences cut from the deltas. */
export type LlmEvent =
  | { type: "llm.delta"; text: string }
  | { type: "llm.sentence"; text: string }
  | { type: "llm.done"; finishReason: "stop" | "length" | "tool_calls"; toolCalls: ToolCall[] }
  | { type: "llm.error"; code: string; message: string };

/** From the tools actor: one outcome per call, in call order, then `tools.done`. */
export type ToolsEvent = { type: "tools.outcome"; outcome: ToolOutcome } | { type: "tools.done" };

/** From the TTS actor (one sentence). */
export type TtsEvent =
  | { type: "tts.chunk"; pcm: Uint8Array; audioMs: number }
  | { type: "tts.done" }
  | { type: "tts.error"; code: string; message: string };

export type VoiceEvent = UserEvent | SttEvent | LlmEvent | ToolsEvent | TtsEvent;

/** What the STT actors receive from the machine: stt_stop ends the audio of the utterance. */
export type SttControlEvent = { type: "audio.end" };

// --- actor inputs ----------------------------------------------------------------

export interface SttInput {
  turnId: string;
}
export interface DemoSttInput {
  turnId: string;
  text: string;
}
export interface RecallInput {
  query: string;
  limit: number;
}
export interface LlmInput {
  turnId: string;
  round: number;
  messages: ChatMessage[];
}
export interface ToolsInput {
  turnId: string;
  calls: ToolCall[];
}
export interface TtsInput {
  turnId: string;
  text: string;
}
export interface StoreInput {
  turnId: string;
  user: string;
  assistant: string;
}
export type RecallOutput = MemoryHit[];
export type StoreOutput = MemoryItem;

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
  | { type: "stt.started"; turnId: string; mode: "push_to_talk" | "continuous" | "demo"; engine: string; source: AudioSource["kind"] }
  | { type: "stt.progress"; turnId: string; text: string; index: number }
  | { type: "stt.result"; turnId: string; text: string; confidence: number | null }
  | { type: "stt.failed"; turnId: string; code: string; message: string }
  | { type: "memory.recall_started"; turnId: string; query: string }
  | { type: "memory.recalled"; turnId: string; query: string; hits: MemoryHitSummary[] }
  | { type: "memory.failed"; turnId: string; operation: "recall" | "store"; code: string; message: string }
  | { type: "memory.stored"; turnId: string; id: string; kind: string; preview: string }
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
    }
  | { type: "tts.result"; turnId: string; sentences: number; chunks: number; chars: number; audioMs: number; interrupted: boolean }
  | { type: "tts.failed"; turnId: string; code: string; message: string }
  | { type: "turn.ended"; turnId: string; mode: TurnMode; outcome: "completed" | "failed" | "interrupted" }
  | { type: "turn.interrupted"; turnId: string; reason: "barge_in" | "stop" | "shutdown"; state: Phase; by: string | null };

export type VoiceEmittedType = VoiceEmitted["type"];
