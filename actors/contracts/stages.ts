/**
 * The contract of each stage actor with the machine that invokes it: what
 * the actor gets as input, the events it sends back (or the output it
 * resolves), and what engines yield to the actor. The machine (machines/)
 * and the stage actors (actors/<stage>/actor.ts) both import these; neither
 * imports the other.
 */
import type { ChatMessage, MemoryHit, MemoryItem, ToolCall, ToolOutcome } from "./messages.js";

// --- what engines yield (checked at the actor edge by ./schemas.ts) -------------

/** A recogniser's update: partials, then exactly one final. */
export type SttUpdate = { kind: "partial"; text: string } | { kind: "final"; text: string; confidence: number | null };

/** One chunk of a model's stream. */
export type LlmChunk =
  | { kind: "delta"; text: string }
  | { kind: "tool_call"; call: ToolCall }
  | { kind: "done"; finishReason: "stop" | "length" | "tool_calls" };

// --- speech recognition --------------------------------------------------------

export interface SttInput {
  turnId: string;
}
export interface DemoSttInput {
  turnId: string;
  text: string;
}
/**
 * From the STT actor. `stt.final` says how long the utterance waited for
 * busy shared engines: `queuedMs` for the recogniser (a free PocketSphinx
 * process slot), `vadQueuedMs` for the voice-activity detector (a free
 * Silero worker, summed over its frames); each absent when nothing waited.
 */
export type SttEvent =
  | { type: "stt.partial"; text: string }
  | { type: "stt.final"; text: string; confidence: number | null; queuedMs?: number; vadQueuedMs?: number }
  | { type: "stt.error"; code: string; message: string };
/**
 * What the STT actors receive: `audio.end`, the utterance's audio ends
 * (stt_stop: finish with what was heard); `audio.lost`, the client streaming
 * it is gone (the actor reports `stt.error` code `client_gone`).
 */
export type SttControlEvent = { type: "audio.end" } | { type: "audio.lost" };

// --- memory --------------------------------------------------------------------

export interface RecallInput {
  query: string;
  limit: number;
  /** Whose memories to recall (actors/contracts/user.ts); `default` when absent. */
  userId?: string;
}
export type RecallOutput = MemoryHit[];
export interface StoreInput {
  turnId: string;
  /** Who the memory belongs to (actors/contracts/user.ts); `default` when absent. */
  userId?: string;
  /** The user's words. */
  user: string;
  /** The answer as heard: the whole answer for a finished turn, what was heard up to the cut for an interrupted one. */
  assistant: string;
  /** The turn was cut short (stop, barge-in, shutdown) and `assistant` is only what was heard of its answer. */
  interrupted: boolean;
}
export type StoreOutput = MemoryItem;

// --- generation ----------------------------------------------------------------

export interface LlmInput {
  turnId: string;
  round: number;
  messages: ChatMessage[];
}
/** From the LLM actor. `llm.sentence` carries complete sentences cut from the deltas. */
export type LlmEvent =
  | { type: "llm.delta"; text: string }
  | { type: "llm.sentence"; text: string }
  | { type: "llm.done"; finishReason: "stop" | "length" | "tool_calls"; toolCalls: ToolCall[] }
  | { type: "llm.error"; code: string; message: string };

// --- tools ---------------------------------------------------------------------

export interface ToolsInput {
  turnId: string;
  calls: ToolCall[];
  /** The turn's user, whom tools such as `remember` and `recall` act for; `default` when absent. */
  userId?: string;
}
/** From the tools actor: one outcome per call, in call order, then `tools.done`. */
export type ToolsEvent = { type: "tools.outcome"; outcome: ToolOutcome } | { type: "tools.done" };

// --- speech synthesis ----------------------------------------------------------

export interface TtsInput {
  turnId: string;
  text: string;
}
/**
 * From the TTS actor (one sentence). The sentence's first chunk carries
 * `queuedMs`, how long the sentence waited for a busy shared engine (a free
 * worker of the synthesiser's pool) before it was synthesised; absent or 0
 * when it did not wait.
 */
export type TtsEvent = { type: "tts.chunk"; pcm: Uint8Array; audioMs: number; queuedMs?: number } | { type: "tts.done" } | { type: "tts.error"; code: string; message: string };

/** Every event a stage actor sends back to the turn. */
export type StageEvent = SttEvent | LlmEvent | ToolsEvent | TtsEvent;
