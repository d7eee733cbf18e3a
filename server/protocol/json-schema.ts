/**
 * JSON Schema (draft 2020-12) for every protocol message, generated from the
 * zod schemas. Written to docs/protocol.schema.json and served at /schema.
 */
import { z } from "zod";
import { COMMAND_SCHEMAS, COMMAND_TYPES } from "./commands.js";
import { PROTOCOL_VERSION, Seq, Timestamp } from "./common.js";
import { EVENT_DATA, EVENT_TYPES } from "./events.js";

type JsonSchema = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** The whole protocol as one JSON Schema document with a definition per message. */
export function buildProtocolSchema(): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  for (const type of EVENT_TYPES) {
    defs[`event.${type}`] = toSchema(
      z.strictObject({ type: z.literal(type), data: EVENT_DATA[type], timestamp: Timestamp, seq: Seq.optional() }).describe(EVENT_DATA[type].description ?? type),
      "output",
    );
  }
  for (const type of COMMAND_TYPES) defs[`command.${type}`] = toSchema(COMMAND_SCHEMAS[type], "input");
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://coda.local/protocol.schema.json",
    title: `Coda Core WebSocket protocol ${PROTOCOL_VERSION}`,
    description: "Server-to-client events and client-to-server commands. Each text frame holds one message.",
    $defs: defs,
    oneOf: [
      { title: "ServerEvent", oneOf: EVENT_TYPES.map((t) => ({ $ref: `#/$defs/event.${t}` })) },
      { title: "ClientCommand", oneOf: COMMAND_TYPES.map((t) => ({ $ref: `#/$defs/command.${t}` })) },
    ],
  };
}
