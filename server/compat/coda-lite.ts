/**
 * The `coda-lite` compatibility profile: Coda Lite's dashboard and test
 * clients, spoken at the edge. The machine and the v1 events do not change;
 * a connection with the profile gets each v1 event with the legacy fields
 * merged in where Coda Lite reads an event of the same name (`latency_trace`
 * in seconds, `memory_store`), plus the legacy events it reads that v1 has
 * no name for (`conversation_turn`, `mode_change`, `memory_retrieve`, the
 * memory debug operations), and legacy commands are rewritten to v1 ones.
 * The field-by-field reference is ../shared/coda-lite-protocol.md; what
 * works and what cannot is docs/compat-coda-lite.md.
 */
import { cpuUsage, memoryUsage } from "node:process";
import type { CommandDialect } from "../protocol/index.js";
import type { EventData, ServerEvent, ServerEventOf } from "../protocol/index.js";

/** The compatibility profiles a connection may ask for (`?compat=`) or the server may default to (`--compat`). */
export const COMPAT_PROFILES = ["none", "coda-lite"] as const;
export type CompatProfile = (typeof COMPAT_PROFILES)[number];

/** A frame for a Coda Lite client: the v1 envelope shape, with data Coda Lite reads (not validated against v1). */
export interface LegacyEvent {
  type: string;
  data: Record<string, unknown>;
  timestamp: string;
  seq?: number;
}

// --- commands -----------------------------------------------------------------

/** Messages Coda Lite's clients send that mean nothing to this server: dropped without an answer, as Coda Lite did. */
const SILENT = new Set(["test", "test_message", "ping", "client_message", "auth_response"]);

/**
 * Coda Lite's commands as v1 commands: `tts_stop` is `stop_speaking`,
 * `stt_start {continuous: true}` is continuous mode, test and ping messages
 * are dropped. Everything else passes through to the (lenient) v1 decoder,
 * which ignores `_debug` and `duration`.
 */
export const codaLiteDialect: CommandDialect = {
  rewrite(frame) {
    if (typeof frame.type !== "string") return frame;
    if (SILENT.has(frame.type)) return null;
    if (frame.type === "tts_stop") return { ...frame, type: "stop_speaking" };
    if (frame.type === "stt_start" && isRecord(frame.data) && frame.data.mode === undefined && frame.data.continuous === true) {
      return { ...frame, data: { ...frame.data, mode: "continuous" } };
    }
    return frame;
  },
};

// --- events -------------------------------------------------------------------

/** The legacy events a reload brings back (Coda Lite's "high-priority" replay): the conversation, memory and latency. */
const REPLAYED = new Set(["conversation_turn", "memory_store", "memory_retrieve", "latency_trace"]);

/** Coda Lite's memory card types for this server's memory kinds. */
const MEMORY_TYPE: Record<string, string> = { turn: "conversation", fact: "fact", preference: "preference" };
/** The importance the SQLite store gives each kind by default (actors/memory/sqlite.ts): v1 events do not carry it. */
const DEFAULT_IMPORTANCE: Record<string, number> = { turn: 0.3, fact: 0.6, preference: 0.7 };
/** Turns remembered at once; a turn whose latency_trace never came is forgotten past this. */
const MAX_OPEN_TURNS = 64;

const seconds = (ms: number | null | undefined) => (typeof ms === "number" ? Math.round(ms) / 1000 : 0);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const legacyPreview = (text: string) => (text.length > 100 ? `${text.slice(0, 100)}...` : text);

/**
 * Translates the v1 event stream into what a Coda Lite client reads. It
 * keeps a little state per turn (whether the user's words were shown, the
 * spoken audio length, `remember` calls in flight), so feed it every event
 * in order.
 */
export class CodaLiteEncoder {
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
        const legacy = { memory_id: event.data.id, content_preview: legacyPreview(event.data.preview), memory_type: MEMORY_TYPE[event.data.kind] ?? event.data.kind, importance: DEFAULT_IMPORTANCE[event.data.kind] ?? 0.5 };
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
      importance: typeof result.importance === "number" ? result.importance : (DEFAULT_IMPORTANCE[kind] ?? 0.5),
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
      metadata: { source_type: MEMORY_TYPE[h.kind] ?? h.kind, importance: DEFAULT_IMPORTANCE[h.kind] ?? 0.5, timestamp: at },
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
 * Coda Lite's `replay`: the v1 replay bundle as `data`, and at the top level
 * `events`, the conversation, memory and latency events a reload rebuilds
 * its views from (translated from the replayed v1 events).
 */
export function codaLiteReplay(replay: ServerEventOf<"replay">): LegacyEvent & { events: LegacyEvent[] } {
  const encoder = new CodaLiteEncoder();
  const events: LegacyEvent[] = [];
  for (const e of replay.data.events) {
    for (const legacy of encoder.translate(e as ServerEvent)) if (REPLAYED.has(legacy.type)) events.push(legacy);
  }
  return { ...(replay as LegacyEvent), events };
}

/**
 * Coda Lite's `system_metrics`: process RSS in MiB and the CPU the process
 * used since the previous sample, in percent of one core. No GPU is used.
 */
export class SystemMetricsSampler {
  #cpu = cpuUsage();
  #at = performance.now();

  sample(): LegacyEvent {
    const cpu = cpuUsage(this.#cpu);
    const now = performance.now();
    const elapsedUs = Math.max(1, (now - this.#at) * 1000);
    this.#cpu = cpuUsage();
    this.#at = now;
    const cpuPercent = Math.round(((cpu.user + cpu.system) / elapsedUs) * 1000) / 10;
    return {
      type: "system_metrics",
      data: { memory_mb: Math.round((memoryUsage.rss() / 1048576) * 10) / 10, cpu_percent: cpuPercent, gpu_vram_mb: 0 },
      timestamp: new Date().toISOString(),
    };
  }
}
