/**
 * Turning a raw text frame into a validated command. Every failure is a
 * ProtocolError with a stable code and a message a person can act on.
 */
import { z } from "zod";
import { COMMAND_DATA, COMMAND_TYPES, type Command, type CommandType } from "./commands.js";
import { ClientTimestamp, CommandId } from "./common.js";
import { describeIssues, issuesFromZod, ProtocolError } from "./errors.js";
import { MAX_JSON_DEPTH, scanJsonDepth } from "./json-depth.js";

const Envelope = z.object({
  type: z.string().min(1).max(64),
  data: z.unknown().optional(),
  timestamp: ClientTimestamp.optional(),
  id: CommandId.optional(),
});
const ENVELOPE_KEYS = Object.keys(Envelope.shape);

/** What could be learnt about a command before it failed, for echoing in command_error. */
export interface CommandHead {
  id: string | number | null;
  type: string | null;
  /** Keys the command carried that no schema names (top level, or `data.<key>`): ignored, and listed in the command_ack. */
  ignored?: string[];
}

/**
 * A dialect spoken by older clients (a compatibility profile, e.g. Coda
 * Lite's): it sees each parsed frame before validation and returns the v1
 * command it means, or null for a message to drop silently.
 */
export interface CommandDialect {
  rewrite(frame: Record<string, unknown>): Record<string, unknown> | null;
}

const unknownKeys = (value: object, known: readonly string[], prefix = "") =>
  Object.keys(value)
    .filter((k) => !known.includes(k))
    .map((k) => prefix + k);

const isCommandType = (t: string): t is CommandType => Object.hasOwn(COMMAND_DATA, t);

/**
 * Parse and validate one command frame. Keys no schema names are dropped and
 * listed in `head.ignored`; with a `dialect`, a frame it drops returns null.
 * @throws ProtocolError invalid_json | invalid_data | unknown_type; `head` says what was readable.
 */
export function decodeCommand(text: string, head: CommandHead = { id: null, type: null }, dialect?: CommandDialect): Command | null {
  // Refuse pathological nesting before JSON.parse builds it.
  const shape = scanJsonDepth(text);
  if (shape === "unbalanced") throw new ProtocolError("invalid_json", "Frame is not valid JSON: its brackets or quotes do not balance");
  if (shape === "deep") throw new ProtocolError("invalid_data", `A command may nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError("invalid_json", `Frame is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError("invalid_data", 'A command must be a JSON object like {"type": "get_system_info", "data": {}}');
  }
  // Learn id and type first so even a refused command can be correlated.
  let rec = value as Record<string, unknown>;
  if (dialect) {
    const rewritten = dialect.rewrite(rec);
    if (rewritten === null) return null;
    rec = rewritten;
  }
  if (CommandId.safeParse(rec.id).success) head.id = rec.id as string | number;
  if (typeof rec.type === "string") head.type = rec.type.slice(0, 64);

  const env = Envelope.safeParse(rec);
  if (!env.success) {
    const issues = issuesFromZod(env.error);
    throw new ProtocolError("invalid_data", `Invalid command envelope: ${describeIssues(issues)}`, issues);
  }
  const { type, data, timestamp, id } = env.data;
  if (!isCommandType(type)) {
    throw new ProtocolError("unknown_type", `Unknown command type "${type}". Known commands: ${COMMAND_TYPES.join(", ")}`);
  }
  const schema = COMMAND_DATA[type];
  const ignored = unknownKeys(rec, ENVELOPE_KEYS);
  if (typeof data === "object" && data !== null && !Array.isArray(data)) ignored.push(...unknownKeys(data, Object.keys(schema.shape), "data."));
  if (ignored.length) head.ignored = ignored;
  // Omitted data means {}; an explicit null is not an object and is refused like any other non-object.
  const parsed = schema.safeParse(data === undefined ? {} : data);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error).map((i) => ({ ...i, path: i.path ? `data.${i.path}` : "data" }));
    throw new ProtocolError("invalid_data", `Invalid data for ${type}: ${describeIssues(issues)}`, issues);
  }
  const cmd = { type, data: parsed.data } as Command;
  if (timestamp !== undefined) cmd.timestamp = timestamp;
  if (id !== undefined) cmd.id = id;
  return cmd;
}
