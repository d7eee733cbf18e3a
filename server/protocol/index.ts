/** The wire contract: schemas, types, codes, encode/decode. */
export {
  AudioFormat,
  ClientTimestamp,
  CommandId,
  DEFAULT_SESSION_ID,
  DEFAULT_USER_ID,
  ErrorCode,
  Issue,
  ListenMode,
  MachineState,
  PROTOCOL_VERSION,
  SESSION_ID_PATTERN,
  Seq,
  SessionId,
  Timestamp,
  TurnId,
  TurnMode,
  UserId,
} from "./common.js";
export { CODA_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "./subprotocol.js";
export {
  DIRECT_EVENT_TYPES,
  EVENT_DATA,
  EVENT_TYPES,
  ServerEventSchema,
  type EventData,
  type EventInput,
  type EventType,
  type LoggedEvent,
  type ServerEvent,
  type ServerEventOf,
} from "./events.js";
export {
  COMMAND_DATA,
  COMMAND_SCHEMAS,
  COMMAND_TYPES,
  CommandEnvelopeSchema,
  type Command,
  type CommandData,
  type CommandOfType,
  type CommandType,
} from "./commands.js";
export { COMMAND_ERROR_CODES, ProtocolError, describeIssues, issuesFromZod, toCommandError, type CommandErrorCode } from "./errors.js";
export { decodeCommand, type CommandDialect, type CommandHead } from "./decode.js";
export { encodeEvent, makeEvent, validateEvent } from "./encode.js";
export { buildProtocolSchema } from "./json-schema.js";
export { buildAsyncApiDocument, buildAsyncApiYaml } from "./asyncapi.js";
export { BINARY_FRAMES, ConnectQuery, TOKEN_PRESENTATIONS } from "./transport.js";
