/**
 * Data schemas of every client-to-server command, keyed by command type,
 * and the command envelope. Lenient envelope, strict meaning: keys a schema
 * does not name are ignored (and listed in the command_ack's `ignored`), while
 * a named key of the wrong type, or a missing required one, is refused.
 */
import { z } from "zod";
import { ClientTimestamp, CommandId, ListenMode, Milliseconds, TurnId } from "./common.js";

const empty = z.object({});

/** Every command type the server accepts, with its `data` schema. */
export const COMMAND_DATA = {
  stt_start: z
    .object({
      mode: ListenMode.default("push_to_talk").describe(
        "push_to_talk: one utterance, ended by stt_stop (pauses do not end it); continuous: each utterance ends at the end of speech, and listening resumes after each answer until stt_stop",
      ),
      echo_cancellation: z
        .boolean()
        .optional()
        .describe(
          "Whether the audio you will stream has echo cancellation applied (the assistant's own voice removed), e.g. the browser's getUserMedia track.getSettings().echoCancellation. With the default barge-in setting (auto), only an echo-cancelled continuous session can interrupt an answer by speaking (barge-in by voice). Omitted means false",
        ),
    })
    .describe("Start listening (speech to text)"),
  stt_stop: empty.describe(
    "Stop listening; in push_to_talk the utterance heard so far is the user's turn. If another command cut your utterance first (turn_interrupted outcome utterance_dropped), it is answered with command_error overtaken",
  ),
  demo_flow: z
    .object({
      text: z.string().trim().min(1).max(2000).optional().describe("What the scripted recogniser 'hears'; a built-in demo utterance when omitted"),
    })
    .describe("Run a scripted turn through the real machine: the scripted recogniser hears `text`, everything else runs as in a real turn"),
  text_input: z
    .object({
      text: z.string().trim().min(1).max(4000).describe("What the user typed"),
    })
    .describe("Start a turn from typed text instead of speech (barges in on a running turn)"),
  playback: z
    .strictObject({
      turn_id: TurnId.describe("The turn whose audio you are playing (from tts_audio)"),
      state: z
        .enum(["playing", "ended", "stopped"])
        .describe(
          "playing: audio of the turn is playing; ended: you played all of it that you will play (it counts as heard to the end only when position_ms is within 250 ms of the audio you were sent; short of that, up to position_ms); stopped: you stopped playing it (muted, closed the player)",
        ),
      position_ms: Milliseconds.describe("Audio of this turn played on this client so far, in ms, counted from the first frame you were sent of it"),
    })
    .describe(
      "Report how far this client has played a turn's speech (audio clients only, ?audio=1). The server paces your audio to it and takes it as what you heard. A client that keeps reporting `playing` but falls 5 s behind real time while it holds audio (a position that does not advance) is taken as stalled and left out of the rest of that turn. A report for a turn that is no longer playing out is acknowledged and ignored",
    ),
  stop_speaking: empty.describe("Stop the assistant mid-answer: cancels generation and speech of the current turn"),
  get_system_info: empty.describe("Ask for system_info (sent to you only)"),
  get_performance_metrics: empty.describe("Ask for performance_metrics over recent turns (sent to you only)"),
  get_replay: z
    .object({
      since: z.number().int().nonnegative().optional().describe("Last seq you saw; omitted: the conversation, as a new client is replayed"),
    })
    .describe("Ask for a replay of logged events after `since` (sent to you only, written as your connection's profile writes replays: with `compat=coda-lite`, Coda Lite's)"),
  memory_list: z
    .object({
      limit: z.number().int().min(1).max(100).default(20).describe("Most memories to list"),
    })
    .describe("List long-term memories, newest first (answer: memory_items, sent to you only)"),
  memory_search: z
    .object({
      query: z.string().trim().min(1).max(500).describe("Words every listed memory must contain; the last word also matches as a prefix"),
      limit: z.number().int().min(1).max(100).default(20).describe("Most memories to list"),
    })
    .describe("Search long-term memories, best match first (answer: memory_items, sent to you only)"),
  memory_forget: z
    .object({
      id: z.string().min(1).max(128).describe("Id of the memory, as in memory_items or memory_store"),
    })
    .describe("Forget one memory: command_ack when it was removed, command_error not_found when there is none with that id"),
} as const;

export type CommandType = keyof typeof COMMAND_DATA;
export const COMMAND_TYPES = Object.keys(COMMAND_DATA) as CommandType[];
export type CommandData<T extends CommandType> = z.output<(typeof COMMAND_DATA)[T]>;

/** The outer shape every command must have before its type is known. */
export const CommandEnvelopeSchema = z
  .object({
    type: z.string().min(1).max(64),
    data: z.record(z.string(), z.unknown()).default({}).describe("Command payload; may be omitted when the command takes none"),
    timestamp: ClientTimestamp.optional(),
    id: CommandId.optional(),
  })
  .meta({ id: "command", description: "Client-to-server command envelope" });

function commandSchema<T extends CommandType>(type: T) {
  return z
    .object({
      type: z.literal(type),
      data: (COMMAND_DATA[type] as (typeof COMMAND_DATA)[T]).optional(),
      timestamp: ClientTimestamp.optional(),
      id: CommandId.optional(),
    })
    .meta({ id: `command.${type}`, description: COMMAND_DATA[type].description });
}

/** Full schema per command type (envelope with that type's data; omitted data means `{}`). */
export const COMMAND_SCHEMAS = Object.fromEntries(COMMAND_TYPES.map((t) => [t, commandSchema(t)])) as {
  [T in CommandType]: ReturnType<typeof commandSchema<T>>;
};

type CommandOf<T extends CommandType> = { type: T; data: CommandData<T>; timestamp?: string | number; id?: string | number };
/** A parsed, validated command. */
export type Command = { [T in CommandType]: CommandOf<T> }[CommandType];
export type CommandOfType<T extends CommandType> = CommandOf<T>;
