/**
 * docs/asyncapi.yaml (AsyncAPI 3.0), generated from the same zod schemas and
 * examples as docs/protocol.md and /schema: every event and command (with
 * its example), the binary audio frames, the upgrade's query parameters and
 * the token schemes. Served at /asyncapi.yaml; `npm run docs:protocol`
 * writes the file and a test fails when it drifts.
 *
 * Everything is read from the schema modules (EVENT_DATA through
 * ServerEventSchema, COMMAND_SCHEMAS, DIRECT_EVENT_TYPES, ConnectQuery,
 * BINARY_FRAMES), so a new event or command appears here without an edit.
 */
import { createRequire } from "node:module";
import { z } from "zod";
import { COMMAND_SCHEMAS, COMMAND_TYPES } from "./commands.js";
import { PROTOCOL_VERSION } from "./common.js";
import { COMMAND_ERROR_CODES } from "./errors.js";
import { DIRECT_EVENT_TYPES, EVENT_DATA, EVENT_TYPES, ServerEventSchema, type EventType } from "./events.js";
import { exampleCommand, exampleEvent } from "./examples.js";
import { BINARY_FRAMES, ConnectQuery, TOKEN_PRESENTATIONS } from "./transport.js";

type Json = Record<string, unknown>;

const CHANNEL = "coda";
const channelRef = { $ref: `#/channels/${CHANNEL}` };
const messageRef = (key: string) => ({ $ref: `#/channels/${CHANNEL}/messages/${key}` });

/**
 * A zod schema as JSON Schema draft-07 (the base of AsyncAPI's schema
 * format). Named sub-schemas (`.meta({ id })`) move to components/schemas
 * and are referenced from there, since `#/definitions/...` would point into
 * the AsyncAPI document's root.
 */
function toSchema(schema: z.ZodType, io: "input" | "output", components: Record<string, Json>): Json {
  const json = z.toJSONSchema(schema, { io, target: "draft-7", unrepresentable: "any", reused: "inline" }) as Json;
  delete json.$schema;
  const defs = (json.definitions ?? {}) as Record<string, Json>;
  delete json.definitions;
  const relink = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(relink);
    if (value === null || typeof value !== "object") return value;
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === "$ref" && typeof v === "string" ? v.replace("#/definitions/", "#/components/schemas/") : relink(v);
    return out;
  };
  for (const [name, def] of Object.entries(defs)) components[name] = relink(def) as Json;
  return relink(json) as Json;
}

const eventKey = (type: string) => `event.${type}`;
const commandKey = (type: string) => `command.${type}`;

/** The AsyncAPI 3.0 document as a plain object. */
export function buildAsyncApiDocument(): Json {
  const schemas: Record<string, Json> = {};
  const messages: Record<string, Json> = {};
  const envelopes = new Map(ServerEventSchema.options.map((o) => [o.shape.type.value as EventType, o]));
  for (const type of EVENT_TYPES) {
    const direct = (DIRECT_EVENT_TYPES as readonly string[]).includes(type);
    messages[eventKey(type)] = {
      name: type,
      title: `${type} event`,
      summary: EVENT_DATA[type].description ?? type,
      ...(direct ? { description: "Sent to one client only (an answer to its command); not logged, so it has no seq." } : {}),
      contentType: "application/json",
      payload: toSchema(envelopes.get(type)!, "output", schemas),
      examples: [{ name: type, payload: exampleEvent(type) }],
    };
  }
  for (const type of COMMAND_TYPES) {
    messages[commandKey(type)] = {
      name: type,
      title: `${type} command`,
      summary: COMMAND_SCHEMAS[type].description ?? type,
      description: "With an `id`, answered on this connection by exactly one command_ack or command_error naming that id.",
      contentType: "application/json",
      payload: toSchema(COMMAND_SCHEMAS[type], "input", schemas),
      examples: [{ name: type, payload: exampleCommand(type) }],
    };
  }
  for (const [key, frame] of Object.entries(BINARY_FRAMES)) {
    messages[`audio.${key}`] = {
      name: `audio.${key}`,
      title: frame.title,
      summary: frame.summary,
      description: frame.description,
      contentType: "application/octet-stream",
      payload: { type: "string", format: "binary", description: frame.summary },
    };
  }
  const query = toSchema(ConnectQuery, "input", schemas);
  delete query.additionalProperties; // unknown parameters are ignored, not refused

  return {
    asyncapi: "3.0.0",
    id: "urn:coda:core:protocol",
    info: {
      title: "Coda Core WebSocket protocol",
      version: PROTOCOL_VERSION,
      description: [
        "A voice assistant's pipeline (speech to text, language model, text to speech, memory, tools) as a WebSocket event stream.",
        "Each text frame holds one JSON message: server-to-client events `{type, data, timestamp, seq}` (seq only on logged events)",
        "and client-to-server commands `{type, data, timestamp?, id?}`. Binary frames carry audio.",
        "A server holds several conversations (sessions): `?session=<id>` joins one (made on its first join; absent: `default`) and `?user=<id>` names whose long-term memory the connection uses (absent: `default`).",
        "seq, epoch, the replay and resume are per session: a client of one session receives nothing of another.",
        "On connect a client receives connection_status (naming its session and whether the join made it) and a replay of its session's recent logged events (or, with `?since=`, exactly the events it missed).",
        `A refused command gets command_error with one of the codes ${COMMAND_ERROR_CODES.join(", ")}; the connection stays open.`,
        "The human-readable reference is docs/protocol.md; this document is generated from the same schemas.",
      ].join(" "),
      license: { name: "MIT" },
    },
    defaultContentType: "application/json",
    servers: {
      local: {
        host: "localhost:8765",
        protocol: "ws",
        pathname: "/",
        title: "A server on this machine",
        description: "The default: loopback only, token optional (when one is configured it is required, in either form).",
        security: [{ $ref: "#/components/securitySchemes/bearer" }, { $ref: "#/components/securitySchemes/subprotocolToken" }],
      },
      network: {
        host: "{host}:{port}",
        protocol: "ws",
        pathname: "/",
        title: "A server listening beyond loopback",
        description: "Requires a token, in either form: the server's (16+ characters, --token or CODA_TOKEN), or a session-scoped JWT signed with --token-secret (HS256, claims session and user).",
        variables: { host: { description: "The server's address", default: "coda.local" }, port: { description: "TCP port (--port)", default: "8765" } },
        security: [{ $ref: "#/components/securitySchemes/bearer" }, { $ref: "#/components/securitySchemes/subprotocolToken" }],
      },
    },
    channels: {
      [CHANNEL]: {
        address: "/",
        title: "The Coda WebSocket",
        description: "One WebSocket per client. Offer the subprotocol coda.v1. Upgrade refusals are HTTP statuses with a reason (400 a bad parameter such as a session id, 401 a missing or invalid token, 403 Host/Origin or a scoped token for another session or user, 503 maxClients or maxSessions reached).",
        messages: Object.fromEntries(Object.entries(messages).map(([k]) => [k, { $ref: `#/components/messages/${k}` }])),
        bindings: {
          ws: {
            method: "GET",
            query,
            headers: {
              type: "object",
              properties: {
                Authorization: { type: "string", description: TOKEN_PRESENTATIONS.bearer.description, examples: ["Bearer 0123456789abcdef"] },
                "Sec-WebSocket-Protocol": { type: "string", description: TOKEN_PRESENTATIONS.subprotocol.description, examples: ["coda.v1, coda-token.0123456789abcdef"] },
              },
            },
            bindingVersion: "0.1.0",
          },
        },
      },
    },
    operations: {
      receiveCommand: {
        action: "receive",
        channel: channelRef,
        title: "Commands from a client",
        summary: "Validated with zod; a command that cannot be parsed or validated is answered by command_error with a stable code.",
        messages: COMMAND_TYPES.map((t) => messageRef(commandKey(t))),
        reply: {
          channel: channelRef,
          messages: DIRECT_EVENT_TYPES.map((t) => messageRef(eventKey(t))),
        },
      },
      sendEvent: {
        action: "send",
        channel: channelRef,
        title: "Events to clients",
        summary: "Logged events are broadcast to every client of their session with that session's seq (+1 per logged event) and replayed to its new clients; replies go to one client.",
        messages: EVENT_TYPES.map((t) => messageRef(eventKey(t))),
      },
      receiveMicrophoneAudio: {
        action: "receive",
        channel: channelRef,
        title: BINARY_FRAMES.microphone.title,
        messages: [messageRef("audio.microphone")],
      },
      sendSpeechAudio: {
        action: "send",
        channel: channelRef,
        title: BINARY_FRAMES.speech.title,
        messages: [messageRef("audio.speech")],
      },
    },
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
      messages,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: TOKEN_PRESENTATIONS.bearer.description },
        subprotocolToken: { type: "httpApiKey", name: TOKEN_PRESENTATIONS.subprotocol.header, in: "header", description: TOKEN_PRESENTATIONS.subprotocol.description },
      },
    },
  };
}

/** docs/asyncapi.yaml's text. */
export function buildAsyncApiYaml(): string {
  // yaml is loaded when the document is first asked for, not with coda-core.
  const { stringify } = createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return `# Generated from the zod schemas by \`npm run docs:protocol\` (server/protocol/asyncapi.ts). Do not edit.\n${stringify(buildAsyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
