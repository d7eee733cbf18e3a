/**
 * The events of the `coda-lite` profile: each v1 event with the legacy
 * fields merged in where Coda Lite reads an event of the same name
 * (`latency_trace` in seconds, `memory_store`), plus the legacy events it
 * reads that v1 has no name for (`conversation_turn`, `mode_change`,
 * `memory_retrieve`, the memory debug operations). The field-by-field
 * reference, and what cannot be translated, is docs/compat-coda-lite.md.
 */
import { DEFAULT_IMPORTANCE } from "../../actors/memory/types.js";
import type { EventData, LoggedEvent, ServerEvent } from "../protocol/index.js";
import { isRecord } from "./records.js";

/** A frame for a Coda Lite client: the v1 envelope shape, with data Coda Lite reads (not validated against v1). */
export interface LegacyEvent {
  type: string;
  data: Record<string, unknown>;
  timestamp: string;
  seq?: number;
}

/** The legacy events a reload brings back (Coda Lite's "high-priority" replay): the conversation, memory and latency. */
const REPLAYED = new Set(["conversation_turn", "memory_store", "memory_retrieve", "latency_trace"]);

/** Coda Lite's memory card types for this server's memory kinds. */
const MEMORY_TYPE: Record<string, string> = { turn: "conversation", fact: "fact", preference: "preference" };
/** The importance the store gives a kind by default (v1 events do not carry it); 0.5 for a kind it does not know. */
const importanceOf = (kind: string): number => (DEFAULT_IMPORTANCE as Record<string, number>)[kind] ?? 0.5;
/** Turns remembered at once; a turn whose latency_trace never came is forgotten past this. */
const MAX_OPEN_TURNS = 64;

const seconds = (ms: number | null | undefined) => (typeof ms === "number" ? Math.round(ms) / 1000 : 0);
const legacyPreview = (text: string) => (text.length > 100 ? `${text.slice(0, 100)}...` : text);

/**
 * Translates the v1 event stream into what a Coda Lite client reads. It
 * keeps a little state per turn (whether the user's words were shown, the
 * spoken audio length, `remember` calls in flight), so feed it every event
 * in order.
 */
export class CodaLiteTranslator {
  readonly #turns = new Map<string, { userShown: boolean; ttsAudioMs: number }>();
  readonly #rememberCalls = new Map<string, string>();

  /** The frames a Coda Lite client gets for one v1 event: the event itself (legacy fields merged in), then any legacy events. */
  translate(event: ServerEvent): LegacyEvent[] {
    const at = event.timestamp;
    const extra = (type: string, data: Record<string, unknown>): LegacyEvent => ({ type, data, timestamp: at });
    const out: LegacyEvent[] = [event as LegacyEvent];
    switch (event.type) {
      case "state_change": {
        const d = event.data;
        out.push(extra("mode_change", { mode: mode(d.state), previous_mode: mode(d.previous) }));
        break;
      }
      case "stt_result":
        this.#turn(event.data.turn_id).userShown = true;
        out.push(extra("conversation_turn", { role: "user", content: event.data.text, turn_id: `${event.data.turn_id}:user` }));
        break;
      case "memory_recall": {
        const d = event.data;
        const turn = d.turn_id === null ? null : this.#turn(d.turn_id);
        // Typed turns have no transcript event: the recall query is the user's text.
        if (turn && !turn.userShown && d.query) {
          turn.userShown = true;
          out.push(extra("conversation_turn", { role: "user", content: d.query, turn_id: `${d.turn_id}:user` }));
        }
        out.push(extra("memory_retrieve", memoryRetrieve(d, at)));
        out.push(extra("memory_debug_operation", { operation_type: "retrieve", details: { query: d.query, results_count: d.hits.length } }));
        break;
      }
      case "llm_result":
        out.push(extra("conversation_turn", { role: "assistant", content: event.data.text, turn_id: `${event.data.turn_id}:assistant` }));
        break;
      case "memory_store": {
        const legacy = { memory_id: event.data.id, content_preview: legacyPreview(event.data.preview), memory_type: MEMORY_TYPE[event.data.kind] ?? event.data.kind, importance: importanceOf(event.data.kind) };
        out[0] = { ...event, data: { ...event.data, ...legacy } };
        out.push(extra("memory_debug_operation", { operation_type: "store", details: { memory_id: legacy.memory_id, content_preview: legacy.content_preview } }));
        break;
      }
      case "tool_call":
        if (event.data.name === "remember" && isRecord(event.data.arguments) && typeof event.data.arguments.text === "string") {
          this.#rememberCalls.set(event.data.call_id, event.data.arguments.text);
        }
        break;
      case "tool_result":
        if (event.data.name === "remember") out.push(...this.#remembered(event.data, at));
        break;
      case "tool_error":
        this.#rememberCalls.delete(event.data.call_id);
        break;
      case "tts_result":
        this.#turn(event.data.turn_id).ttsAudioMs = event.data.audio_ms;
        break;
      case "latency_trace": {
        const d = event.data;
        const ttsAudioMs = this.#turns.get(d.turn_id)?.ttsAudioMs ?? 0;
        this.#turns.delete(d.turn_id);
        out[0] = { ...event, data: { ...d, ...latencySeconds(d, ttsAudioMs) } };
        break;
      }
      default:
        break;
    }
    return out;
  }

  /** A fact the `remember` tool stored: v1 announces it only as a tool result, Coda Lite shows it as a memory card. */
  #remembered(d: EventData<"tool_result">, at: string): LegacyEvent[] {
    const text = this.#rememberCalls.get(d.call_id);
    this.#rememberCalls.delete(d.call_id);
    let result: unknown;
    try {
      result = JSON.parse(d.preview);
    } catch {
      return []; // a preview cut short: the card cannot be made, the conversation still shows the answer
    }
    if (text === undefined || !isRecord(result) || result.stored !== true || typeof result.id !== "string") return [];
    const kind = typeof result.kind === "string" ? result.kind : "fact";
    const data = {
      turn_id: d.turn_id,
      memory_id: result.id,
      content_preview: legacyPreview(text),
      memory_type: MEMORY_TYPE[kind] ?? kind,
      importance: typeof result.importance === "number" ? result.importance : importanceOf(kind),
    };
    return [
      { type: "memory_store", data, timestamp: at },
      { type: "memory_debug_operation", data: { operation_type: "store", details: { memory_id: data.memory_id, content_preview: data.content_preview } }, timestamp: at },
    ];
  }

  #turn(turnId: string) {
    let t = this.#turns.get(turnId);
    if (!t) {
      if (this.#turns.size >= MAX_OPEN_TURNS) this.#turns.delete(this.#turns.keys().next().value!);
      t = { userShown: false, ttsAudioMs: 0 };
      this.#turns.set(turnId, t);
    }
    return t;
  }
}

function mode(state: string): string {
  return state === "stopped" ? "idle" : state;
}

function memoryRetrieve(d: EventData<"memory_recall">, at: string): Record<string, unknown> {
  return {
    query: d.query,
    results: d.hits.map((h) => ({
      id: h.id,
      content: h.preview,
      score: h.score,
      metadata: { source_type: MEMORY_TYPE[h.kind] ?? h.kind, importance: importanceOf(h.kind), timestamp: at },
    })),
    results_count: d.hits.length,
    top_result_preview: d.hits[0]?.preview ?? null,
  };
}

/** Coda Lite's latency fields: seconds under its names (null stages count 0). */
function latencySeconds(d: EventData<"latency_trace">, ttsAudioMs: number): Record<string, number> {
  return {
    stt_seconds: seconds(d.stt_ms),
    llm_seconds: seconds(d.llm_total_ms),
    tts_seconds: seconds(d.tts_total_ms),
    tool_seconds: seconds(d.tool_ms),
    memory_seconds: seconds(d.memory_ms),
    total_seconds: seconds(d.total_ms),
    total_processing_seconds: seconds(d.total_ms),
    stt_audio_duration: 0,
    tts_audio_duration: seconds(ttsAudioMs),
  };
}

/**
 * The legacy events a reload rebuilds its views from (Coda Lite's
 * "high-priority" replay: the conversation, memory cards and latency), for
 * the top-level `events` of its `replay`, translated from the replayed v1
 * events by a translator of their own.
 */
export function replayedLegacyEvents(events: readonly LoggedEvent[]): LegacyEvent[] {
  const translator = new CodaLiteTranslator();
  const out: LegacyEvent[] = [];
  for (const e of events) for (const legacy of translator.translate(e)) if (REPLAYED.has(legacy.type)) out.push(legacy);
  return out;
}
