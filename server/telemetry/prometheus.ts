/**
 * The Prometheus metrics behind `/metrics`, through prom-client, in a
 * registry of their own (two servers in one process do not mix figures):
 *
 * - process and event-loop defaults (`process_*`, `nodejs_*`);
 * - `coda_turns_total{outcome,mode}`: finished turns, outcome completed,
 *   interrupted or failed (an stt, llm or tts error ended it);
 * - `coda_stage_duration_seconds{stage}`: the latency_trace figures (STT
 *   final, memory recall, LLM first token and total, tools, TTS first
 *   audio, input to first audio, end to end);
 * - `coda_engine_queued_seconds{engine}`: the latency_trace queue waits
 *   (stt, vad, tts: how long turns waited for busy shared engines);
 * - `coda_clients_connected`, `coda_sessions_open`, `coda_events_sent_total`,
 *   `coda_audio_frames_sent_total`, `coda_sent_bytes_total{kind}`;
 * - `coda_clients_dropped_total{reason}` (slow, heartbeat, rate_limit);
 * - `coda_command_errors_total{code}`;
 * - `coda_memory_operations_total{operation,result}` and
 *   `coda_tool_calls_total{tool,result}`;
 * - `coda_dependency_up{dependency,engine}`: 1 while a dependency of the
 *   node (the memory store, ...) is ok, 0 while it is not (what /health says).
 *
 * Turn figures are read from the pipeline's wire events (what every client
 * sees), never from machine internals. docs/operations.md lists them all.
 */
import { createRequire } from "node:module";
import type { Counter, Histogram, Registry } from "prom-client";
import { COMMAND_ERROR_CODES, type EventInput } from "../protocol/index.js";
import type { DependencyCheck } from "../transport/health.js";
import { DROP_REASONS, type WireTally } from "./wire-tally.js";

/** latency_trace figure -> `stage` label of coda_stage_duration_seconds. */
export const STAGE_FIGURES = {
  stt_ms: "stt_final",
  memory_ms: "memory_recall",
  llm_first_token_ms: "llm_first_token",
  llm_total_ms: "llm_total",
  tool_ms: "tools",
  tts_first_audio_ms: "tts_first_audio",
  input_to_first_audio_ms: "input_to_first_audio",
  total_ms: "end_to_end",
} as const;

/** latency_trace queue-wait figure -> `engine` label of coda_engine_queued_seconds. */
export const QUEUE_FIGURES = {
  stt_queued_ms: "stt",
  vad_queued_ms: "vad",
  tts_queued_ms: "tts",
} as const;

/** Seconds a turn waited for a busy shared engine: from nothing to a queue several sentences long. */
const QUEUE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Seconds; from a 5 ms recall to a 30 s deadline. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30];

/** Turns whose failure is still to be counted are forgotten past this many (a turn that never ends must not grow memory). */
const MAX_OPEN_TURNS = 1000;

/** Distinct tool label values at most. */
const MAX_TOOL_LABELS = 64;

export interface MetricsSources {
  /** Connected clients now. */
  clients(): number;
  /** Open sessions now. */
  sessions(): number;
  tally: WireTally;
  /** The node's dependencies (/health's), read at each scrape. */
  dependencies?: readonly DependencyCheck[];
}

/** prom-client's exposition format 0.0.4 content type (its Registry.PROMETHEUS_CONTENT_TYPE). */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** prom-client, loaded with the first server rather than with coda-core. */
const require = createRequire(import.meta.url);

export class CodaMetrics {
  readonly registry: Registry;
  readonly #turns: Counter<"outcome" | "mode">;
  readonly #stages: Histogram<"stage">;
  readonly #queued: Histogram<"engine">;
  readonly #memory: Counter<"operation" | "result">;
  readonly #tools: Counter<"tool" | "result">;
  /** Turns in which a stage failed, until their latency_trace. */
  readonly #failed = new Set<string>();
  readonly #toolNames = new Set<string>();

  constructor(sources: MetricsSources) {
    const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = require("prom-client") as typeof import("prom-client");
    this.registry = new Registry();
    const registers = [this.registry];
    const { tally } = sources;
    collectDefaultMetrics({ register: this.registry });
    this.#turns = new Counter({ name: "coda_turns_total", help: "Finished turns by outcome (completed, interrupted, failed) and mode", labelNames: ["outcome", "mode"], registers });
    this.#stages = new Histogram({
      name: "coda_stage_duration_seconds",
      help: "Per-turn stage latency (the latency_trace figures): stt_final, memory_recall, llm_first_token, llm_total, tools, tts_first_audio, input_to_first_audio, end_to_end",
      labelNames: ["stage"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    for (const stage of Object.values(STAGE_FIGURES)) this.#stages.zero({ stage });
    this.#queued = new Histogram({
      name: "coda_engine_queued_seconds",
      help: "Per-turn wait for busy shared engines (the latency_trace *_queued_ms figures): stt (PocketSphinx processes), vad (Silero workers), tts (synthesiser workers)",
      labelNames: ["engine"],
      buckets: QUEUE_BUCKETS,
      registers,
    });
    for (const engine of Object.values(QUEUE_FIGURES)) this.#queued.zero({ engine });
    this.#memory = new Counter({ name: "coda_memory_operations_total", help: "Memory recalls and stores by result (ok, error)", labelNames: ["operation", "result"], registers });
    for (const operation of ["recall", "store"]) for (const result of ["ok", "error"]) this.#memory.inc({ operation, result }, 0);
    this.#tools = new Counter({ name: "coda_tool_calls_total", help: "Tool calls by tool and result (ok, error)", labelNames: ["tool", "result"], registers });
    new Gauge({
      name: "coda_dependency_up",
      help: "1 while a dependency of the node (memory: its store) is ok, 0 while it is unavailable (GET /health says why)",
      labelNames: ["dependency", "engine"],
      registers,
      collect() {
        this.reset();
        for (const check of sources.dependencies ?? []) this.set({ dependency: check.name, engine: check.engine }, check.read().ok ? 1 : 0);
      },
    });
    new Gauge({
      name: "coda_clients_connected",
      help: "WebSocket clients connected now",
      registers,
      collect() {
        this.set(sources.clients());
      },
    });
    new Gauge({
      name: "coda_sessions_open",
      help: "Sessions (conversations) open now, default included",
      registers,
      collect() {
        this.set(sources.sessions());
      },
    });
    const counterOf = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    counterOf("coda_events_sent_total", "Events (text frames) queued to clients; one broadcast to N clients counts N", () => tally.events);
    counterOf("coda_audio_frames_sent_total", "Synthesised-speech binary frames queued to clients", () => tally.audioFrames);
    new Counter({
      name: "coda_sent_bytes_total",
      help: "Bytes queued to clients, by kind (event, audio)",
      labelNames: ["kind"],
      registers,
      collect() {
        this.reset();
        this.inc({ kind: "event" }, tally.eventBytes);
        this.inc({ kind: "audio" }, tally.audioBytes);
      },
    });
    new Counter({
      name: "coda_clients_dropped_total",
      help: "Clients the server closed, by reason: slow (1013, too much queued), heartbeat (no pong), rate_limit (1008, repeated floods)",
      labelNames: ["reason"],
      registers,
      collect() {
        this.reset();
        for (const reason of DROP_REASONS) this.inc({ reason }, tally.drops[reason]);
      },
    });
    new Counter({
      name: "coda_command_errors_total",
      help: "command_error replies by code",
      labelNames: ["code"],
      registers,
      collect() {
        this.reset();
        for (const code of COMMAND_ERROR_CODES) this.inc({ code }, 0);
        for (const [code, n] of tally.commandErrors) this.inc({ code }, n);
      },
    });
  }

  /** Count what a pipeline event of session `session` says about turns, memory and tools (turn ids are per session). */
  observe(event: EventInput, session = ""): void {
    switch (event.type) {
      case "stt_error":
      case "llm_error":
      case "tts_error":
        if (this.#failed.size >= MAX_OPEN_TURNS) this.#failed.clear();
        this.#failed.add(`${session}/${event.data.turn_id}`);
        return;
      case "latency_trace": {
        const d = event.data;
        const failed = this.#failed.delete(`${session}/${d.turn_id}`);
        const outcome = d.interrupted ? "interrupted" : failed ? "failed" : "completed";
        this.#turns.inc({ outcome, mode: d.mode });
        for (const [figure, stage] of Object.entries(STAGE_FIGURES)) {
          const ms = d[figure as keyof typeof STAGE_FIGURES];
          if (typeof ms === "number") this.#stages.observe({ stage }, ms / 1000);
        }
        for (const [figure, engine] of Object.entries(QUEUE_FIGURES)) {
          const ms = d[figure as keyof typeof QUEUE_FIGURES];
          if (typeof ms === "number") this.#queued.observe({ engine }, ms / 1000);
        }
        return;
      }
      case "memory_recall":
        return this.#memory.inc({ operation: "recall", result: "ok" });
      case "memory_store":
        return this.#memory.inc({ operation: "store", result: "ok" });
      case "memory_error":
        return this.#memory.inc({ operation: event.data.operation, result: "error" });
      case "tool_result":
        return this.#tools.inc({ tool: this.#toolLabel(event.data.name), result: "ok" });
      case "tool_error":
        return this.#tools.inc({ tool: this.#toolLabel(event.data.name), result: "error" });
      default:
        return;
    }
  }

  /** The tool's name, or "other" once MAX_TOOL_LABELS names were seen (a model may call tools that do not exist). */
  #toolLabel(name: string): string {
    if (this.#toolNames.has(name)) return name;
    if (this.#toolNames.size >= MAX_TOOL_LABELS) return "other";
    this.#toolNames.add(name);
    return name;
  }

  /** The exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
