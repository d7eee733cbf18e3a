/**
 * Data schemas of every server-to-client event, keyed by event type.
 * The seed's event families (stt_*, llm_*, tts_*, memory_*, tool_*, system)
 * plus the additions documented in docs/protocol.md.
 */
import { z } from "zod";
import {
  AudioFormat,
  CommandId,
  ErrorCode,
  Issue,
  ListenMode,
  MachineState,
  Milliseconds,
  Seq,
  SessionId,
  Timestamp,
  TurnId,
  TurnMode,
  UserId,
} from "./common.js";
import { COMMAND_ERROR_CODES } from "./errors.js";

const nullableMs = Milliseconds.nullable();
const count = z.number().int().nonnegative();

const stageError = (what: string) =>
  z.strictObject({
    turn_id: TurnId,
    code: ErrorCode,
    message: z.string().describe(`What went wrong in ${what}, for a person`),
  });

/** A client by its id (connection_status client_id), or null; optional where servers before it did not send it. */
const ClientRef = z.string().min(1).nullable().optional();

/** What the user of a cut turn got (turn_interrupted). */
const CutOutcome = z.enum(["utterance_dropped", "unanswered", "answer_cut", "answered"]);

const MemoryHit = z.strictObject({
  id: z.string(),
  kind: z.string().describe("turn, fact or preference"),
  preview: z.string().describe("The start of the memory text"),
  score: z.number().describe("Relevance; higher is better"),
});

/** Shape of any logged event; each was validated against its own schema when it was logged. */
const LoggedEnvelope = z
  .object({ type: z.string(), data: z.record(z.string(), z.unknown()), timestamp: Timestamp, seq: Seq })
  .meta({ id: "logged_event", description: "A logged event (see its own type for data)" });

const ReplayKind = z
  .enum(["conversation", "resume"])
  .describe("conversation: the last replayTurns turns whole, progress of finished turns folded into their results (no since, or since from another run); resume: every logged event after since");

const ReplaySummary = z.strictObject({
  kind: ReplayKind,
  events: count.describe("Events in the replay"),
  turns: count.describe("Turns replayed whole (conversation; 0 for resume)"),
  missed: count.describe("Events after since that could not be replayed"),
  bytes: count.describe("Size of the replay frame in bytes"),
});

const MetricSummary = z.strictObject({
  count,
  p50: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
});

/** Every event type the server sends, with its `data` schema. */
export const EVENT_DATA = {
  // --- speech to text -------------------------------------------------
  stt_start: z
    .strictObject({
      turn_id: TurnId,
      mode: z.enum(["push_to_talk", "continuous", "demo"]),
      engine: z.string().describe("Name of the recognition engine"),
      source: z.enum(["client", "microphone", "file", "scripted", "none"]).describe("Where the audio comes from"),
    })
    .describe("Speech-to-text processing has started (the assistant is listening)"),
  stt_progress: z
    .strictObject({
      turn_id: TurnId,
      text: z.string().describe("The transcript so far"),
      index: count.describe("0 for the first partial of the turn, +1 each"),
    })
    .describe("An intermediate transcript"),
  stt_result: z
    .strictObject({
      turn_id: TurnId,
      text: z.string().describe("The final transcript"),
      confidence: z.number().min(0).max(1).nullable(),
      duration_ms: Milliseconds.describe("From stt_start to the final transcript"),
    })
    .describe("The final transcript of the utterance"),
  stt_error: stageError("speech recognition").describe("Speech recognition failed (codes: timeout, stt_unavailable, engine_error, audio_error, malformed_output, interrupted: the turn was cut while listening, client_gone: the client streaming the audio disconnected, ...)"),

  // --- language model --------------------------------------------------
  llm_start: z
    .strictObject({
      turn_id: TurnId,
      engine: z.string(),
      model: z.string(),
      round: count.describe("0 for the first request of the turn, +1 after each round of tool calls"),
    })
    .describe("The language model has been asked for an answer"),
  llm_progress: z
    .strictObject({
      turn_id: TurnId,
      delta: z.string().describe("New text since the previous llm_progress"),
      index: count.describe("0 for the first delta of the turn, +1 each"),
    })
    .describe("Streamed answer text (token deltas)"),
  llm_result: z
    .strictObject({
      turn_id: TurnId,
      text: z.string().describe("The whole answer"),
      finish_reason: z.enum(["stop", "length", "interrupted"]),
      rounds: count.describe("How many model requests the turn took"),
      duration_ms: Milliseconds,
    })
    .describe("The final answer of the language model"),
  llm_error: stageError("the language model")
    .extend({ partial_text: z.string().describe("Text streamed before the failure; kept in the conversation marked as cut") })
    .describe("The language model failed (codes: timeout, unreachable, model_not_found, http_error, malformed_stream, stream_cut, engine_error, malformed_output, tool_rounds_exceeded)"),

  // --- text to speech ----------------------------------------------------
  tts_start: z
    .strictObject({
      turn_id: TurnId,
      engine: z.string(),
      voice: z.string(),
      format: AudioFormat,
    })
    .describe("Speech synthesis has started for the answer"),
  tts_progress: z
    .strictObject({
      turn_id: TurnId,
      sentence_index: count,
      chunk_index: count.describe("The first audio chunk this event covers (0 for the turn's first chunk)"),
      chunks: z.number().int().positive().describe("How many audio chunks this event covers (chunk_index, chunk_index + 1, ...)"),
      text: z.string().describe("The sentence these chunks belong to, as the model wrote it"),
      spoken: z.string().describe("The sentence as it was given to the synthesiser: symbols and numbers said in words (\"12 * 7\" becomes \"12 times 7\")"),
      chars: count.describe("Characters of the sentence (as written)"),
      audio_ms: Milliseconds.describe("Duration of the audio of the chunks covered"),
      bytes: count.describe("Size of the PCM of the chunks covered, in bytes"),
    })
    .describe(
      "Speech synthesis progress: one event per sentence, or per ttsProgressMs of audio (a setting). The audio itself goes, paced, to clients that asked to hear it (tts_audio + binary frame)",
    ),
  tts_audio: z
    .strictObject({
      turn_id: TurnId,
      chunk_index: count.describe("0 for the first audio chunk of the turn, +1 each"),
      sentence_index: count,
      offset_ms: Milliseconds.describe("Where the chunk starts on the turn's audio timeline"),
      audio_ms: Milliseconds.describe("Duration of the chunk's audio"),
      bytes: count.describe("Size of the binary frame that follows"),
    })
    .describe(
      "Sent to an audio client (?audio=1) right before each binary frame of synthesised speech: the frame's turn and place. Paced: at most the configured lead ahead of your playback. Not logged, never replayed",
    ),
  tts_result: z
    .strictObject({
      turn_id: TurnId,
      sentences: count,
      chunks: count,
      chars: count,
      audio_ms: Milliseconds.describe("Total audio produced"),
      duration_ms: Milliseconds.describe("From tts_start to the last chunk"),
      interrupted: z.boolean(),
    })
    .describe("Speech synthesis of the answer finished"),
  tts_error: stageError("speech synthesis").describe("Speech synthesis failed (codes: timeout, engine_error, malformed_output, ...)"),

  // --- memory ---------------------------------------------------------------
  memory_store: z
    .strictObject({
      turn_id: TurnId.nullable(),
      id: z.string(),
      kind: z.string(),
      preview: z.string(),
      interrupted: z
        .boolean()
        .describe("The answer was not heard to its end: the turn was cut short (stop, barge-in, shutdown; then this event arrives after the turn's turn_interrupted), or every listener left or stopped its playback early. The item keeps only what was heard of the answer"),
    })
    .describe("A memory item has been stored"),
  memory_recall: z
    .strictObject({
      turn_id: TurnId.nullable(),
      query: z.string(),
      hits: z.array(MemoryHit),
      duration_ms: Milliseconds,
    })
    .describe("Memories relevant to the user's words were recalled"),
  memory_error: z
    .strictObject({
      turn_id: TurnId.nullable(),
      operation: z.enum(["open", "recall", "store", "list", "search", "forget"]),
      code: ErrorCode,
      message: z.string(),
    })
    .describe("A memory operation failed; the turn goes on without it (codes: timeout, locked, full, corrupt, unavailable, storage_error, malformed_output)"),

  memory_items: z
    .strictObject({
      query: z.string().nullable().describe("The memory_search query, null for memory_list"),
      items: z.array(
        z.strictObject({
          id: z.string(),
          kind: z.enum(["turn", "fact", "preference"]),
          text: z.string().describe("The whole memory text"),
          importance: z.number().min(0).max(1).describe("0 (trivia) to 1 (never forget)"),
          created_at: Timestamp,
          turn_id: TurnId.nullable().describe("The turn that stored it, if any"),
          interrupted: z
            .boolean()
            .describe("A turn whose answer was not heard to its end (cut short by stop, barge-in or shutdown, or every listener left or stopped early): its answer is only what was heard, and its text says `Assistant (interrupted):`. False for turns heard whole, facts and preferences"),
        }),
      ),
    })
    .describe("Memories for a memory viewer (answer to memory_list / memory_search, sent to that client only)"),

  // --- tools ------------------------------------------------------------------
  tool_call: z
    .strictObject({
      turn_id: TurnId,
      call_id: z.string(),
      name: z.string(),
      arguments: z.unknown().describe("Arguments as the model gave them"),
    })
    .describe("A tool has been called"),
  tool_result: z
    .strictObject({
      turn_id: TurnId,
      call_id: z.string(),
      name: z.string(),
      preview: z.string().describe("The result as text, shortened"),
      duration_ms: Milliseconds,
    })
    .describe("A tool returned a result"),
  tool_error: z
    .strictObject({
      turn_id: TurnId,
      call_id: z.string(),
      name: z.string(),
      code: ErrorCode,
      message: z.string(),
      issues: z.array(Issue).optional().describe("Validation problems, for code invalid_arguments"),
      duration_ms: Milliseconds,
    })
    .describe("A tool failed (codes: unknown_tool, invalid_arguments, timeout, tool_failed, malformed_output, cancelled: the turn was cut while the call ran)"),

  // --- system ----------------------------------------------------------------
  system_info: z
    .strictObject({
      version: z.string().describe("Server version"),
      uptime: z.number().nonnegative().describe("Seconds since the server started"),
      memory: count.describe("Resident set size of the server process, bytes"),
      protocol_version: z.string().optional(),
      clients: count.optional().describe("Connected WebSocket clients"),
      heap_used: count.optional(),
      heap_total: count.optional(),
      state: MachineState.nullable().optional().describe("The voice machine's state, null without a pipeline"),
      engines: z.record(z.string(), z.string()).optional().describe("Engine name per stage"),
      voice: z.string().optional().describe("The voice the speech engine (engines.tts) speaks with, as tts_start.voice names it; absent without a pipeline"),
    })
    .describe("System information (version, uptime, memory usage)"),
  latency_trace: z
    .strictObject({
      turn_id: TurnId,
      mode: TurnMode,
      interrupted: z.boolean(),
      stt_ms: nullableMs,
      memory_ms: nullableMs,
      llm_first_token_ms: nullableMs,
      llm_total_ms: nullableMs,
      tool_ms: nullableMs,
      tts_first_audio_ms: nullableMs,
      tts_total_ms: nullableMs,
      input_to_first_audio_ms: nullableMs,
      total_ms: Milliseconds,
      stt_queued_ms: nullableMs.describe("Time the recogniser waited for a free process slot (PocketSphinx's pool); null: no recognition ran"),
      vad_queued_ms: nullableMs.describe("Time the voice-activity detector's frames waited, in all, for a free model worker (Silero's pool); null: no recognition ran"),
      tts_queued_ms: nullableMs.describe("Time the answer's sentences waited, in all, for a free synthesiser worker (Flite's or eSpeak NG's pool); null: no speech ran"),
    })
    .describe("Per-turn latency figures in ms (null: stage did not run); definitions in docs/latency.md"),
  connection_status: z
    .strictObject({
      status: z.enum(["connected", "clients_changed"]),
      client_id: z.string().optional().describe("connected: your client id"),
      clients: count.describe("Clients of this session connected now"),
      joined: z.array(z.string()).optional().describe("clients_changed: ids of clients that connected since the previous change"),
      left: z.array(z.string()).optional().describe("clients_changed: ids of clients that disconnected since the previous change"),
      server_version: z.string().optional(),
      protocol_version: z.string().optional(),
      session: SessionId.optional().describe("connected: the session (conversation) this connection follows: its `?session=`, or `default`"),
      session_new: z.boolean().optional().describe("connected: true when this join created the session (its first join, or the first after it was closed as idle): no history"),
      user: UserId.optional().describe("connected: the user this connection acts for (memory commands, the turns it starts): its `?user=`, a scoped token's claim, or `default`"),
      epoch: z.string().optional().describe("Random id of this session's event log; seq restarts when it changes (a server restart, or the session closed as idle and made anew)"),
      last_seq: z.number().int().nonnegative().optional().describe("Newest seq in the session's event log, 0 if none"),
      replay_size: count.optional().describe("connected: most events the event log keeps for resume (replaySize)"),
      replay_max_bytes: count.optional().describe("connected: most bytes of event JSON the event log keeps for resume (replayMaxBytes)"),
      replay_turns: count.optional().describe("connected: turns a new client's replay holds whole (replayTurns)"),
      replay: ReplaySummary.optional().describe("connected: what the replay that follows holds"),
      state: MachineState.nullable().optional(),
      reason: z.string().optional(),
    })
    .describe("Connection status: your own welcome (connected), or clients of your session that came and went (clients_changed, at most one per presenceIntervalMs)"),
  replay: z
    .strictObject({
      since: z.number().int().nonnegative().nullable().describe("The seq the client asked to resume after; null for the recent buffer"),
      events: z.array(LoggedEnvelope).describe("Logged events in seq order, each exactly as it was broadcast"),
      first_seq: Seq.nullable().describe("seq of the first replayed event"),
      last_seq: z.number().int().nonnegative().describe("Newest seq in the log when the replay was made"),
      missed: count.describe("Events after `since` that are no longer buffered and cannot be replayed"),
      reset: z.boolean().describe("true when `since` is ahead of this server run's log (the server restarted): the events are the new run's conversation"),
      kind: ReplayKind.optional().describe("conversation or resume (always sent by this server; optional so clients also read servers from before it)"),
      turns: z.array(TurnId).optional().describe("conversation: ids of the turns replayed whole, oldest first (the last may still be running); resume: empty (always sent by this server)"),
    })
    .describe("Replay of logged events, sent to one client: the conversation for a new client, or what a returning client missed (docs/protocol.md, section On connect)"),

  // --- additions --------------------------------------------------------------
  state_change: z
    .strictObject({
      state: MachineState,
      previous: MachineState,
      path: z.string().describe("Full state path, e.g. thinking.generating"),
      turn_id: TurnId.nullable(),
      mode: ListenMode.nullable().describe("Listening mode, null when not in a voice session"),
    })
    .describe("The voice machine moved to another state"),
  turn_interrupted: z
    .strictObject({
      turn_id: TurnId,
      reason: z
        .enum(["barge_in", "stop", "shutdown"])
        .describe(
          "barge_in: a new turn started over it (stt_start or text_input, or the user speaking over the answer in a continuous session: see the bargeIn setting); stop: stop_speaking; shutdown: the server is stopping",
        ),
      state: MachineState.describe("Where the turn was when it was cut"),
      outcome: CutOutcome.optional().describe(
        "What the cut turn's user got: utterance_dropped (cut while listening: no transcript was taken, nothing will be answered), unanswered (the question was taken but no word of the answer was heard), answer_cut (part of the answer was heard: heard_ms, heard_text), answered (the answer had been heard to its end; it was being stored). Always sent by this server; optional so clients also read servers from before it",
      ),
      client: ClientRef.describe(
        "The client whose command started the cut turn (its client_id, as connection_status names it; in a continuous session, the client streaming the audio); null when no client did. Always sent by this server",
      ),
      question: z
        .string()
        .nullable()
        .optional()
        .describe("What the cut turn was asked: the typed text or the transcript; null when none was taken (cut while listening). Always sent by this server"),
      by: z.string().nullable().describe("The turn that replaced it (barge_in)"),
      by_client: ClientRef.describe(
        "The client whose command cut it: the one that started the new turn (barge_in: stt_start, text_input, or its voice over the answer) or sent stop_speaking (stop); null at shutdown. When it is not `client`, another client took the turn over. Always sent by this server",
      ),
      heard_ms: Milliseconds.describe(
        "Audio of the answer some listener played before the cut: each listener from where it joined, the stretches taken together (audio nobody played is not counted); 0 when nothing was heard",
      ),
      heard_text: z
        .string()
        .describe(
          "The answer as heard, in order: whole sentences heard, the words heard of a sentence heard in part, and \"—\" for each stretch nobody heard (so an answer cut off ends with \"—\"); empty when nothing was spoken",
        ),
    })
    .describe("A turn was cut short; nothing more of it follows"),
  performance_metrics: z
    .strictObject({
      window: count.describe("How many recent turns the figures cover at most"),
      turns: count.describe("Turns currently in the window"),
      figures: z.record(z.string(), MetricSummary).describe("Per latency_trace figure: count, p50, p95, p99, max (ms)"),
    })
    .describe("Latency statistics over recent turns (answer to get_performance_metrics)"),
  command_ack: z
    .strictObject({
      id: CommandId,
      command: z.string(),
      ignored: z
        .array(z.string())
        .optional()
        .describe("Keys the command carried that no schema names (top level, or data.<key>): accepted and ignored; absent when there were none"),
    })
    .describe("The command with this id was accepted"),
  command_error: z
    .strictObject({
      id: CommandId.nullable(),
      command: z.string().nullable(),
      code: ErrorCode,
      message: z.string(),
      issues: z.array(Issue).optional(),
    })
    .describe(`A command was refused (codes: ${COMMAND_ERROR_CODES.join(", ")})`),
} as const;

export type EventType = keyof typeof EVENT_DATA;
export const EVENT_TYPES = Object.keys(EVENT_DATA) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA)[T]>;

/** Events that are only ever sent to one client and never logged. */
export const DIRECT_EVENT_TYPES = ["replay", "command_ack", "command_error", "performance_metrics", "memory_items", "tts_audio"] as const satisfies readonly EventType[];

function eventEnvelope<T extends EventType>(type: T) {
  return z
    .strictObject({
      type: z.literal(type),
      data: EVENT_DATA[type] as (typeof EVENT_DATA)[T],
      timestamp: Timestamp,
      seq: Seq.optional(),
    })
    .meta({ id: `event.${type}`, description: EVENT_DATA[type].description });
}

const envelopes = EVENT_TYPES.map((t) => eventEnvelope(t));

/** Any server-to-client event. `seq` is present on logged events only. */
export const ServerEventSchema = z.discriminatedUnion("type", envelopes as unknown as [ReturnType<typeof eventEnvelope<"stt_start">>]);

type EnvelopeOf<T extends EventType> = { type: T; data: EventData<T>; timestamp: string; seq?: number };
export type ServerEvent = { [T in EventType]: EnvelopeOf<T> }[EventType];
export type ServerEventOf<T extends EventType> = EnvelopeOf<T>;
/** A logged event: it always has a seq. */
export type LoggedEvent = ServerEvent & { seq: number };

/** What `broadcast` accepts: an event whose timestamp may be left to the server. */
export type EventInput = { [T in EventType]: { type: T; data: EventData<T>; timestamp?: string } }[EventType];

