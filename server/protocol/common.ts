/**
 * Building blocks shared by every protocol message: timestamps, ids, codes
 * and the audio format. The wire contract lives in server/protocol only.
 */
import { z } from "zod";
// From its own module: the contracts index would bring the stage schemas into the browser client's graph.
import { ERROR_CODE_PATTERN } from "../../actors/contracts/errors.js";
import { DEFAULT_USER_ID, USER_ID_PATTERN } from "../../actors/contracts/user.js";

/** Version of the wire protocol; bump the major on any breaking change. */
export const PROTOCOL_VERSION = "1.0";

/** ISO 8601 UTC timestamp with milliseconds and `Z`, as `Date#toISOString()` prints. */
export const Timestamp = z.iso
  .datetime({ precision: 3 })
  .describe("ISO 8601 UTC time with milliseconds and Z, e.g. 2026-05-01T12:34:56.789Z");

/** A client-supplied timestamp: any ISO 8601 date-time (offsets allowed), or epoch milliseconds as Coda Lite's test clients send. */
export const ClientTimestamp = z
  .union([z.iso.datetime({ offset: true }), z.number().nonnegative().finite()])
  .describe("ISO 8601 date-time, or milliseconds since 1970-01-01 UTC, chosen by the client (informational)");

/** Position of an event in the server's event log. */
export const Seq = z.number().int().positive().describe("Event log position: +1 per logged event, never reused while the server runs");

/** Client-chosen command id, echoed in the matching command_ack / command_error. */
export const CommandId = z
  .union([z.string().min(1).max(128), z.number().int()])
  .describe("Client-chosen id (string up to 128 chars, or integer) echoed in command_ack / command_error");

/** What a session id (and a user id) may be: 1 to 64 of A-Z a-z 0-9 _ - (the same rule for both). */
export const SESSION_ID_PATTERN = USER_ID_PATTERN;

/** The session of a client that names none: the seed's one conversation. */
export const DEFAULT_SESSION_ID = "default";

export { DEFAULT_USER_ID };

/** Id of one conversation (`?session=`). */
export const SessionId = z.string().regex(SESSION_ID_PATTERN, "A session id is 1 to 64 letters, digits, '_' or '-'").describe("Id of one conversation (session): 1 to 64 of A-Z a-z 0-9 _ -");

/** Id of the owner of long-term memory (`?user=`). */
export const UserId = z.string().regex(USER_ID_PATTERN, "A user id is 1 to 64 letters, digits, '_' or '-'").describe("Id of the user who owns long-term memory: 1 to 64 of A-Z a-z 0-9 _ -");

export const TurnId = z.string().min(1).max(64).describe("Id of one interaction; every pipeline event of a turn carries it");

/** Error codes are stable snake_case strings; see docs/protocol.md for the lists. */
export const ErrorCode = z.string().regex(ERROR_CODE_PATTERN).describe("Stable snake_case error code");

export const Milliseconds = z.number().nonnegative().describe("Duration in milliseconds");

export const ListenMode = z.enum(["push_to_talk", "continuous"]);
export type ListenMode = z.infer<typeof ListenMode>;

/** How a turn started: by voice in one of the listen modes, by typed text, or by demo_flow. */
export const TurnMode = z.enum(["push_to_talk", "continuous", "text", "demo"]);
export type TurnMode = z.infer<typeof TurnMode>;

/** Coarse machine state a UI shows. */
export const MachineState = z.enum(["idle", "listening", "thinking", "speaking", "stopped"]);
export type MachineState = z.infer<typeof MachineState>;

export const AudioFormat = z
  .strictObject({
    sample_rate: z.number().int().positive().describe("Samples per second, e.g. 16000 or 22050"),
    sample_type: z.enum(["s16le", "f32le"]).describe("s16le: signed 16-bit little-endian; f32le: 32-bit float little-endian"),
    channels: z.number().int().min(1).max(2),
  })
  .describe("Raw PCM layout of an audio stream");
export type AudioFormat = z.infer<typeof AudioFormat>;

/** One problem found while validating input, as sent to clients. */
export const Issue = z.strictObject({
  path: z.string().describe("Dotted path to the offending field, empty for the whole value"),
  message: z.string(),
});
export type Issue = z.infer<typeof Issue>;
