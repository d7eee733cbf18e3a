/**
 * One example message per event and command type. They appear in
 * docs/protocol.md and docs/asyncapi.yaml, and a test validates each
 * against its schema.
 */
import { COMMAND_TYPES, type CommandType } from "./commands.js";
import { DIRECT_EVENT_TYPES, type EventData, type EventType } from "./events.js";

const t = "t3";
const ts = "2026-05-01T12:34:56.789Z";

export const EVENT_EXAMPLES: { [T in EventType]: EventData<T> } = {
  stt_start: { turn_id: t, mode: "push_to_talk", engine: "pocketsphinx", source: "client" },
  stt_progress: { turn_id: t, text: "what time", index: 1 },
  stt_result: { turn_id: t, text: "what time is it", confidence: 0.92, duration_ms: 1840 },
  stt_error: { turn_id: t, code: "timeout", message: "Speech recognition took longer than 15000 ms" },
  llm_start: { turn_id: t, engine: "ollama", model: "llama3.2", round: 0 },
  llm_progress: { turn_id: t, delta: "Hel", index: 0 },
  llm_result: { turn_id: t, text: "It is 12:34.", finish_reason: "stop", rounds: 2, duration_ms: 912 },
  llm_error: { turn_id: t, code: "unreachable", message: "Cannot reach Ollama at http://127.0.0.1:11434: start it with `ollama serve`", partial_text: "" },
  tts_start: { turn_id: t, engine: "espeak-ng", voice: "en", format: { sample_rate: 22050, sample_type: "s16le", channels: 1 } },
  tts_progress: { turn_id: t, sentence_index: 0, chunk_index: 0, chunks: 4, text: "It is 12:34.", spoken: "It is 12 34.", chars: 12, audio_ms: 1120, bytes: 49392 },
  tts_audio: { turn_id: t, chunk_index: 0, sentence_index: 0, offset_ms: 0, audio_ms: 1120, bytes: 49392 },
  tts_result: { turn_id: t, sentences: 1, chunks: 1, chars: 12, audio_ms: 1120, duration_ms: 95, interrupted: false },
  tts_error: { turn_id: t, code: "engine_error", message: "The speech engine stopped unexpectedly" },
  memory_store: { turn_id: t, id: "m42", kind: "turn", preview: "what time is it -> It is 12:34.", interrupted: false },
  memory_recall: { turn_id: t, query: "what time is it", hits: [{ id: "m7", kind: "fact", preview: "I live in Lisbon", score: 0.61 }], duration_ms: 2.4 },
  memory_error: { turn_id: t, operation: "recall", code: "locked", message: "The memory database is locked by another process; continuing without memory" },
  tool_call: { turn_id: t, call_id: "call_1", name: "get_time", arguments: { timezone: "Europe/Lisbon" } },
  tool_result: { turn_id: t, call_id: "call_1", name: "get_time", preview: '{"time":"12:34","date":"2026-05-01"}', duration_ms: 0.8 },
  tool_error: {
    turn_id: t,
    call_id: "call_2",
    name: "calculate",
    code: "invalid_arguments",
    message: "Invalid arguments for calculate",
    issues: [{ path: "expression", message: "Required" }],
    duration_ms: 0.2,
  },
  system_info: { version: "0.1.0", uptime: 3600, memory: 104857600, protocol_version: "1.0", clients: 2, heap_used: 12000000, heap_total: 30000000, state: "idle", engines: { stt: "pocketsphinx", llm: "ollama", tts: "espeak-ng" } },
  latency_trace: {
    turn_id: t,
    mode: "push_to_talk",
    interrupted: false,
    stt_ms: 1840,
    memory_ms: 3,
    llm_first_token_ms: 180,
    llm_total_ms: 912,
    tool_ms: 1,
    tts_first_audio_ms: 95,
    tts_total_ms: 310,
    input_to_first_audio_ms: 402,
    total_ms: 3120,
    stt_queued_ms: 0,
    vad_queued_ms: 1.2,
    tts_queued_ms: 38.5,
  },
  connection_status: { status: "connected", client_id: "c1", clients: 1, server_version: "0.1.0", protocol_version: "1.0", epoch: "5f2a9c41b7e0", last_seq: 41, replay_size: 10000, replay_max_bytes: 4194304, replay_turns: 20, replay: { kind: "resume", events: 1, turns: 0, missed: 0, bytes: 228 }, state: "idle" },
  replay: {
    since: 40,
    events: [{ type: "llm_progress", data: { turn_id: t, delta: "Hel", index: 0 }, timestamp: ts, seq: 41 }],
    first_seq: 41,
    last_seq: 41,
    missed: 0,
    reset: false,
    kind: "resume",
    turns: [],
  },
  state_change: { state: "thinking", previous: "listening", path: "thinking.generating", turn_id: t, mode: "push_to_talk" },
  turn_interrupted: {
    turn_id: t,
    reason: "barge_in",
    state: "speaking",
    outcome: "answer_cut",
    client: "c1",
    question: "what time is it, and when is my meeting",
    by: "t4",
    by_client: "c2",
    heard_ms: 1840,
    heard_text: "It is 12:34. The meeting—",
  },
  performance_metrics: { window: 100, turns: 12, figures: { total_ms: { count: 12, p50: 2900, p95: 4100, p99: 4400, max: 4400 } } },
  memory_items: { query: "lisbon", items: [{ id: "m7", kind: "fact", text: "I live in Lisbon", importance: 0.7, created_at: ts, turn_id: "t1", interrupted: false }] },
  command_ack: { id: "req-7", command: "demo_flow" },
  command_error: { id: "req-8", command: "stt_start", code: "invalid_data", message: 'Invalid data for stt_start: data.mode: Invalid option: expected one of "push_to_talk"|"continuous"', issues: [{ path: "data.mode", message: 'Invalid option: expected one of "push_to_talk"|"continuous"' }] },
};

export const COMMAND_EXAMPLES: { [T in CommandType]: Record<string, unknown> } = {
  stt_start: { mode: "continuous", echo_cancellation: true },
  stt_stop: {},
  demo_flow: { text: "What time is it?" },
  text_input: { text: "What is 12 times 7?" },
  stop_speaking: {},
  playback: { turn_id: t, state: "playing", position_ms: 1250 },
  get_system_info: {},
  get_performance_metrics: {},
  get_replay: { since: 40 },
  memory_list: { limit: 20 },
  memory_search: { query: "lisbon", limit: 5 },
  memory_forget: { id: "m7" },
};

/** Events that are neither logged nor replies: they carry no seq (status and presence, system_info). */
const UNLOGGED_EVENT_TYPES: readonly EventType[] = [...DIRECT_EVENT_TYPES, "system_info", "connection_status"];

/** A whole example event frame: type, data, timestamp and, for logged events, seq. */
export function exampleEvent(type: EventType): Record<string, unknown> {
  return { type, data: EVENT_EXAMPLES[type], timestamp: ts, ...(UNLOGGED_EVENT_TYPES.includes(type) ? {} : { seq: 42 }) };
}

/** A whole example command frame, with a client-chosen id. */
export function exampleCommand(type: CommandType): Record<string, unknown> {
  return { type, data: COMMAND_EXAMPLES[type], id: `req-${COMMAND_TYPES.indexOf(type) + 1}` };
}
