/**
 * The conversation as a UI shows it, rebuilt from protocol events: one
 * entry per turn with what the user said or typed, the assistant's answer,
 * tool calls with their results, memory recalled and stored, the latency
 * trace and how the turn ended. CodaClient keeps one up to date from the
 * replay and from live events (`client.conversation`); it works on any
 * event list, e.g. a `replay`'s events.
 *
 * The turns are immutable snapshots (immer): an event that changes a turn
 * replaces that turn's object, and every other turn keeps its identity, so
 * a UI can tell what to redraw by comparing references (`prev !== next`)
 * and may keep an old snapshot without it changing under it. Snapshots are
 * frozen; the events applied are not (what a turn keeps of an event is
 * copied).
 *
 * Browser-safe: no node imports.
 *
 * @example
 * const c = new Conversation();
 * for (const e of replay.events) c.apply(e);
 * for (const t of c.turns) console.log(t.user, "->", t.assistant);
 */
import { produce, type Draft } from "immer";
import type { TurnMode } from "../protocol/common.js";
import type { EventData, ServerEvent } from "../protocol/events.js";

/** One tool call of a turn. */
export interface ConversationToolCall {
  callId: string;
  name: string;
  arguments: unknown;
  /** The result as text (shortened by the server), once it returned. */
  result: string | null;
  error: { code: string; message: string } | null;
  durationMs: number | null;
}

/** One turn: a question and its answer, and what happened on the way. */
export interface ConversationTurn {
  id: string;
  mode: TurnMode | null;
  /** What the user said (transcript) or typed; null while nothing is known. */
  user: string | null;
  /** False while the transcript is partial. */
  userFinal: boolean;
  /** The answer: streamed so far, then the whole (for an interrupted turn, the text generated up to the cut). */
  assistant: string;
  finishReason: EventData<"llm_result">["finish_reason"] | null;
  status: "running" | "completed" | "interrupted" | "failed";
  tools: ConversationToolCall[];
  memory: {
    recalled: EventData<"memory_recall">["hits"];
    /** `interrupted`: the item keeps only what was heard of a cut answer (it arrives after the turn's interruption). */
    stored: { id: string; kind: string; preview: string; interrupted: boolean }[];
  };
  /** Totals of the spoken answer (tts_result), once synthesised. */
  speech: { audioMs: number; chunks: number; interrupted: boolean } | null;
  latency: EventData<"latency_trace"> | null;
  /** How the turn was cut short (turn_interrupted), null while it was not; see ConversationInterruption. */
  interruption: ConversationInterruption | null;
  /**
   * The answer was not heard to its end; null while nothing says so. Set by
   * `turn_interrupted` (what was heard: `text`, the whole sentences heard
   * then the cut sentence's words followed by "—", empty when nothing was
   * spoken; `ms` of audio heard), or by the turn's `memory_store` with
   * `interrupted` (every listener left or stopped early: the server keeps
   * only what was heard; `text` and `ms` are then null, since only the
   * stored memory's text says what was heard).
   */
  heard: { text: string | null; ms: number | null } | null;
  /** Stage failures: stt_error, llm_error, tts_error, memory_error (with its `operation`), tool_error. */
  errors: ConversationError[];
}

/**
 * How a turn was cut short, and by whom (turn_interrupted). With several
 * clients in one conversation, `client` and `byClient` say whose turn it
 * was and whose command took it over: when they differ (and `byClient` is
 * not null), another client did. Client ids are those of the welcome
 * (`CodaClient.clientId`); null where no client did, or where a server from
 * before these fields did not say.
 */
export interface ConversationInterruption {
  reason: EventData<"turn_interrupted">["reason"];
  state: string;
  /** The turn that replaced it (barge-in). */
  by: string | null;
  /** What the turn's user got: its utterance dropped, its question unanswered, its answer cut after some was heard, or its answer heard whole; null from a server that did not say. */
  outcome: NonNullable<EventData<"turn_interrupted">["outcome"]> | null;
  /** The client whose command started the cut turn. */
  client: string | null;
  /** The client whose command cut it (the new turn's, or stop_speaking's). */
  byClient: string | null;
}

/** One stage failure of a turn. */
export interface ConversationError {
  type: "stt_error" | "llm_error" | "tts_error" | "memory_error" | "tool_error";
  code: string;
  message: string;
  /** memory_error: what failed (recall, store, ...); null for the other types. */
  operation: EventData<"memory_error">["operation"] | null;
}

export interface ConversationOptions {
  /** Most turns kept (oldest go first). Default 100. */
  maxTurns?: number;
}

/** Turns rebuilt from events; see the module comment. */
export class Conversation {
  readonly #turns = new Map<string, ConversationTurn>();
  readonly #maxTurns: number;

  constructor(options: ConversationOptions = {}) {
    const max = options.maxTurns ?? 100;
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`maxTurns must be a positive integer, got ${max}`);
    this.#maxTurns = max;
  }

  /** The turns, oldest first. */
  get turns(): ConversationTurn[] {
    return [...this.#turns.values()];
  }

  /** One turn by id. */
  turn(id: string): ConversationTurn | undefined {
    return this.#turns.get(id);
  }

  /** Forget every turn (e.g. the server restarted and turn ids start again). */
  clear(): void {
    this.#turns.clear();
  }

  /** Apply one event; events of no turn and unknown types are ignored. */
  apply(e: ServerEvent): void {
    const id = (e.data as { turn_id?: unknown }).turn_id;
    if (typeof id !== "string") return;
    const current = this.#turns.get(id);
    const next = produce(current ?? newTurn(id), (t) => applyToTurn(t, e));
    if (next === current) return;
    this.#turns.set(id, next);
    while (this.#turns.size > this.#maxTurns) this.#turns.delete(this.#turns.keys().next().value!);
  }
}

/** What one event changes in its turn (a draft: written in place, produced as a new snapshot). */
function applyToTurn(t: Draft<ConversationTurn>, e: ServerEvent): void {
  switch (e.type) {
    case "stt_start":
      t.mode = e.data.mode;
      break;
    case "stt_progress":
      if (!t.userFinal) t.user = e.data.text;
      break;
    case "stt_result":
      t.user = e.data.text;
      t.userFinal = true;
      break;
    case "memory_recall":
      // Typed turns have no transcript: the recall query is the user's text.
      if (t.user === null && e.data.query) {
        t.user = e.data.query;
        t.userFinal = true;
      }
      t.memory.recalled.push(...structuredClone(e.data.hits));
      break;
    case "memory_store":
      t.memory.stored.push({ id: e.data.id, kind: e.data.kind, preview: e.data.preview, interrupted: e.data.interrupted });
      // The turn's own memory says the answer was kept only as heard; turn_interrupted, when there was one, said more.
      if (e.data.interrupted && e.data.kind === "turn") t.heard ??= { text: null, ms: null };
      break;
    case "llm_progress":
      if (t.finishReason === null) t.assistant += e.data.delta;
      break;
    case "llm_result":
      t.assistant = e.data.text;
      t.finishReason = e.data.finish_reason;
      break;
    case "tool_call":
      t.tools.push({ callId: e.data.call_id, name: e.data.name, arguments: structuredClone(e.data.arguments), result: null, error: null, durationMs: null });
      break;
    case "tool_result":
    case "tool_error": {
      let call = t.tools.find((c) => c.callId === e.data.call_id);
      if (!call) t.tools.push((call = { callId: e.data.call_id, name: e.data.name, arguments: null, result: null, error: null, durationMs: null }));
      call.durationMs = e.data.duration_ms;
      if (e.type === "tool_result") call.result = e.data.preview;
      else {
        call.error = { code: e.data.code, message: e.data.message };
        t.errors.push({ type: e.type, code: e.data.code, message: e.data.message, operation: null });
      }
      break;
    }
    case "tts_result":
      t.speech = { audioMs: e.data.audio_ms, chunks: e.data.chunks, interrupted: e.data.interrupted };
      break;
    case "stt_error":
    case "llm_error":
    case "tts_error":
    case "memory_error":
      t.errors.push({ type: e.type, code: e.data.code, message: e.data.message, operation: e.type === "memory_error" ? e.data.operation : null });
      if (e.type === "llm_error" && !t.assistant) t.assistant = e.data.partial_text;
      break;
    case "turn_interrupted":
      t.interruption = {
        reason: e.data.reason,
        state: e.data.state,
        by: e.data.by,
        outcome: e.data.outcome ?? null,
        client: e.data.client ?? null,
        byClient: e.data.by_client ?? null,
      };
      // A typed question cut before its recall named it: the cut says what it was.
      if (t.user === null && e.data.question) {
        t.user = e.data.question;
        t.userFinal = true;
      }
      t.heard = { text: e.data.heard_text, ms: e.data.heard_ms };
      t.status = "interrupted";
      break;
    case "latency_trace":
      t.latency = structuredClone(e.data);
      t.mode = e.data.mode;
      if (t.status === "running") t.status = e.data.interrupted ? "interrupted" : t.errors.some((x) => x.type !== "memory_error") && !t.assistant ? "failed" : "completed";
      break;
    default:
      return;
  }
}

/** A turn no event has filled in yet. */
function newTurn(id: string): ConversationTurn {
  return {
    id,
    mode: null,
    user: null,
    userFinal: false,
    assistant: "",
    finishReason: null,
    status: "running",
    tools: [],
    memory: { recalled: [], stored: [] },
    speech: null,
    latency: null,
    interruption: null,
    heard: null,
    errors: [],
  };
}
