/**
 * The wire form of every domain event, as a table: event and figures in,
 * protocol events out (each validated against its wire schema), and what
 * each event does to the tts_progress folder. A domain event type missing
 * from the table fails the coverage check.
 */
import { describe, expect, it } from "vitest";
import type { VoiceEmitted, VoiceEmittedType } from "../../../machines/voice-types.js";
import type { LatencyTrace } from "../../../server/pipeline/latency.js";
import { NO_FIGURES, progressStep, toWireEvents, type WireFigures } from "../../../server/pipeline/wire-events.js";
import { validateEvent, type EventData, type EventInput } from "../../../server/protocol/index.js";

const format = { sample_rate: 16000, sample_type: "s16le", channels: 1 } as const;
const progress: EventData<"tts_progress"> = { turn_id: "t1", sentence_index: 0, chunk_index: 0, chunks: 2, text: "Hi 2.", spoken: "Hi 2.", chars: 5, audio_ms: 200, bytes: 6400 };
const trace: LatencyTrace = {
  turn_id: "t1",
  mode: "text",
  interrupted: true,
  stt_ms: null,
  memory_ms: 1.5,
  llm_first_token_ms: 20,
  llm_total_ms: 40,
  tool_ms: null,
  tts_first_audio_ms: 5,
  tts_total_ms: 9,
  input_to_first_audio_ms: 30,
  total_ms: 60.25,
  stt_queued_ms: null,
  vad_queued_ms: null,
  tts_queued_ms: 2.5,
};
const fig = (f: Partial<WireFigures>): WireFigures => ({ ...NO_FIGURES, ...f });
const pg = { type: "tts_progress", data: progress } as const;

/** [domain event, figures, wire events, progress step]. */
const TABLE: [VoiceEmitted, WireFigures, EventInput[], "add" | "flush" | null][] = [
  [
    { type: "state.changed", state: "listening", previous: "idle", path: "listening.voice", turnId: "t1", mode: "push_to_talk" },
    NO_FIGURES,
    [{ type: "state_change", data: { state: "listening", previous: "idle", path: "listening.voice", turn_id: "t1", mode: "push_to_talk" } }],
    null,
  ],
  [{ type: "turn.started", turnId: "t1", mode: "text" }, NO_FIGURES, [], null],
  [
    { type: "stt.started", turnId: "t1", mode: "continuous", engine: "pocketsphinx", source: "client" },
    NO_FIGURES,
    [{ type: "stt_start", data: { turn_id: "t1", mode: "continuous", engine: "pocketsphinx", source: "client" } }],
    null,
  ],
  [{ type: "stt.progress", turnId: "t1", text: "hel", index: 0 }, NO_FIGURES, [{ type: "stt_progress", data: { turn_id: "t1", text: "hel", index: 0 } }], null],
  [
    { type: "stt.result", turnId: "t1", text: "hello", confidence: 0.9 },
    fig({ durationMs: 812.5 }),
    [{ type: "stt_result", data: { turn_id: "t1", text: "hello", confidence: 0.9, duration_ms: 812.5 } }],
    null,
  ],
  [
    { type: "stt.failed", turnId: "t1", code: "client_gone", message: "The client streaming the audio disconnected" },
    fig({ durationMs: 3 }),
    [{ type: "stt_error", data: { turn_id: "t1", code: "client_gone", message: "The client streaming the audio disconnected" } }],
    null,
  ],
  [{ type: "memory.recall_started", turnId: "t1", query: "hello" }, NO_FIGURES, [], null],
  [
    { type: "memory.recalled", turnId: "t1", query: "hello", hits: [{ id: "m1", kind: "fact", preview: "Lisbon", score: 0.5 }] },
    fig({ durationMs: 2.25 }),
    [{ type: "memory_recall", data: { turn_id: "t1", query: "hello", hits: [{ id: "m1", kind: "fact", preview: "Lisbon", score: 0.5 }], duration_ms: 2.25 } }],
    null,
  ],
  [
    { type: "memory.failed", turnId: "t1", operation: "store", code: "timeout", message: "Memory store took longer than 2000 ms" },
    NO_FIGURES,
    [{ type: "memory_error", data: { turn_id: "t1", operation: "store", code: "timeout", message: "Memory store took longer than 2000 ms" } }],
    null,
  ],
  [
    { type: "memory.stored", turnId: "t1", id: "m2", kind: "turn", preview: "User: hello", interrupted: true },
    NO_FIGURES,
    [{ type: "memory_store", data: { turn_id: "t1", id: "m2", kind: "turn", preview: "User: hello", interrupted: true } }],
    null,
  ],
  [
    { type: "llm.started", turnId: "t1", engine: "builtin", model: "rules", round: 1 },
    NO_FIGURES,
    [{ type: "llm_start", data: { turn_id: "t1", engine: "builtin", model: "rules", round: 1 } }],
    null,
  ],
  [{ type: "llm.progress", turnId: "t1", delta: "Hi", index: 3 }, NO_FIGURES, [{ type: "llm_progress", data: { turn_id: "t1", delta: "Hi", index: 3 } }], null],
  [{ type: "llm.round_ended", turnId: "t1", round: 0, reason: "tool_calls" }, NO_FIGURES, [], null],
  [
    { type: "llm.result", turnId: "t1", text: "Hi 2.", finishReason: "stop", rounds: 1 },
    fig({ durationMs: 40 }),
    [{ type: "llm_result", data: { turn_id: "t1", text: "Hi 2.", finish_reason: "stop", rounds: 1, duration_ms: 40 } }],
    null,
  ],
  // A cut answer's closing events stay together: the pending speech progress goes out first.
  [
    { type: "llm.result", turnId: "t1", text: "Hi", finishReason: "interrupted", rounds: 1 },
    fig({ durationMs: 40, progress: [progress] }),
    [pg, { type: "llm_result", data: { turn_id: "t1", text: "Hi", finish_reason: "interrupted", rounds: 1, duration_ms: 40 } }],
    "flush",
  ],
  [
    { type: "llm.failed", turnId: "t1", code: "unreachable", message: "down", partialText: "Hi" },
    fig({ durationMs: 40, progress: [progress] }),
    [pg, { type: "llm_error", data: { turn_id: "t1", code: "unreachable", message: "down", partial_text: "Hi" } }],
    "flush",
  ],
  [
    { type: "tool.called", turnId: "t1", callId: "c1", name: "calculate", arguments: { expression: "2+2" } },
    NO_FIGURES,
    [{ type: "tool_call", data: { turn_id: "t1", call_id: "c1", name: "calculate", arguments: { expression: "2+2" } } }],
    null,
  ],
  [
    { type: "tool.result", turnId: "t1", callId: "c1", name: "calculate", preview: "4", durationMs: 0.12345 },
    NO_FIGURES,
    [{ type: "tool_result", data: { turn_id: "t1", call_id: "c1", name: "calculate", preview: "4", duration_ms: 0.123 } }],
    null,
  ],
  [
    {
      type: "tool.failed",
      turnId: "t1",
      callId: "c1",
      name: "calculate",
      code: "invalid_arguments",
      message: "bad",
      issues: [{ path: "expression", message: "Required" }],
      durationMs: 1.5,
    },
    NO_FIGURES,
    [
      {
        type: "tool_error",
        data: { turn_id: "t1", call_id: "c1", name: "calculate", code: "invalid_arguments", message: "bad", issues: [{ path: "expression", message: "Required" }], duration_ms: 1.5 },
      },
    ],
    null,
  ],
  // A call cancelled with its turn: the machine cannot time it; the tracker's time since its round started is used.
  [
    { type: "tool.failed", turnId: "t1", callId: "c2", name: "get_time", code: "cancelled", message: "The tool call was cancelled", durationMs: null },
    fig({ durationMs: 7.0004 }),
    [{ type: "tool_error", data: { turn_id: "t1", call_id: "c2", name: "get_time", code: "cancelled", message: "The tool call was cancelled", duration_ms: 7 } }],
    null,
  ],
  [{ type: "tools.finished", turnId: "t1", round: 0 }, NO_FIGURES, [], null],
  [
    { type: "tts.started", turnId: "t1", engine: "flite", voice: "rms", format },
    NO_FIGURES,
    [{ type: "tts_start", data: { turn_id: "t1", engine: "flite", voice: "rms", format } }],
    null,
  ],
  // A chunk's audio goes to the playout; its wire form is the progress it completes (none until a sentence ends).
  [
    { type: "tts.audio", turnId: "t1", sentenceIndex: 1, chunkIndex: 2, text: "More.", chars: 5, audioMs: 100, bytes: 3200, pcm: new Uint8Array(3200) },
    NO_FIGURES,
    [],
    "add",
  ],
  [
    { type: "tts.audio", turnId: "t1", sentenceIndex: 1, chunkIndex: 2, text: "More.", chars: 5, audioMs: 100, bytes: 3200, pcm: new Uint8Array(3200) },
    fig({ progress: [progress] }),
    [pg],
    "add",
  ],
  [
    { type: "tts.result", turnId: "t1", sentences: 2, chunks: 4, chars: 10, audioMs: 400.00049, interrupted: false },
    fig({ durationMs: 9, progress: [progress] }),
    [pg, { type: "tts_result", data: { turn_id: "t1", sentences: 2, chunks: 4, chars: 10, audio_ms: 400, duration_ms: 9, interrupted: false } }],
    "flush",
  ],
  [
    { type: "tts.failed", turnId: "t1", code: "timeout", message: "Synthesis of one sentence took longer than 15000 ms" },
    fig({ durationMs: 15000 }),
    [{ type: "tts_error", data: { turn_id: "t1", code: "timeout", message: "Synthesis of one sentence took longer than 15000 ms" } }],
    "flush",
  ],
  [{ type: "turn.ended", turnId: "t1", mode: "text", outcome: "interrupted" }, fig({ trace, progress: [progress] }), [pg, { type: "latency_trace", data: trace }], "flush"],
  // A turn the tracker did not follow has no trace.
  [{ type: "turn.ended", turnId: "t9", mode: "text", outcome: "completed" }, NO_FIGURES, [], "flush"],
  [
    { type: "turn.interrupted", turnId: "t1", reason: "barge_in", state: "speaking", outcome: "answer_cut", client: "c1", question: "tell me two things", by: "t2", byClient: "c2" },
    fig({ heard: { heardMs: 1500, text: "The first sentence. The sec—", cut: true } }),
    [
      {
        type: "turn_interrupted",
        data: {
          turn_id: "t1",
          reason: "barge_in",
          state: "speaking",
          outcome: "answer_cut",
          client: "c1",
          question: "tell me two things",
          by: "t2",
          by_client: "c2",
          heard_ms: 1500,
          heard_text: "The first sentence. The sec—",
        },
      },
    ],
    null,
  ],
  // Cut before anything played out: nothing heard.
  [
    { type: "turn.interrupted", turnId: "t1", reason: "stop", state: "thinking", outcome: "unanswered", client: null, question: "hello", by: null, byClient: null },
    NO_FIGURES,
    [
      {
        type: "turn_interrupted",
        data: { turn_id: "t1", reason: "stop", state: "thinking", outcome: "unanswered", client: null, question: "hello", by: null, by_client: null, heard_ms: 0, heard_text: "" },
      },
    ],
    null,
  ],
];

describe("toWireEvents", () => {
  it.each(TABLE.map(([e, f, wire, step]) => [e.type, e, f, wire, step] as const))("%s", (_type, e, figures, wire, step) => {
    const out = toWireEvents(e, figures);
    expect(out).toEqual(wire);
    for (const w of out) expect(() => validateEvent(w)).not.toThrow();
    expect(progressStep(e)).toBe(step);
  });

  it("covers every domain event type", () => {
    const ALL: Record<VoiceEmittedType, true> = {
      "state.changed": true,
      "turn.started": true,
      "stt.started": true,
      "stt.progress": true,
      "stt.result": true,
      "stt.failed": true,
      "memory.recall_started": true,
      "memory.recalled": true,
      "memory.failed": true,
      "memory.stored": true,
      "llm.started": true,
      "llm.progress": true,
      "llm.round_ended": true,
      "llm.result": true,
      "llm.failed": true,
      "tool.called": true,
      "tool.result": true,
      "tool.failed": true,
      "tools.finished": true,
      "tts.started": true,
      "tts.audio": true,
      "tts.result": true,
      "tts.failed": true,
      "turn.ended": true,
      "turn.interrupted": true,
    };
    expect(new Set(TABLE.map(([e]) => e.type))).toEqual(new Set(Object.keys(ALL)));
  });

  it("is pure: the same event and figures give equal events, and the inputs are left as they were", () => {
    const e: VoiceEmitted = { type: "tts.result", turnId: "t1", sentences: 1, chunks: 1, chars: 5, audioMs: 100, interrupted: true };
    const figures = fig({ durationMs: 3, progress: [progress] });
    const before = structuredClone({ e, figures });
    expect(toWireEvents(e, figures)).toEqual(toWireEvents(e, figures));
    expect({ e, figures }).toEqual(before);
  });
});
