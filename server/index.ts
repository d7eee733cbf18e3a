/** Public API of the coda-core package. */
export { WebSocketServer, type WebSocketServerOptions } from "./server.js";
export { EventLog, type ReplaySlice } from "./event-log.js";
export { CloseCode } from "./connection.js";
export { CODA_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "./handshake.js";
export { ServerOptionsSchema, resolveServerOptions, type ServerOptionsInput, type ServerSettings } from "./options.js";
export type { CommandContext, CommandHandler } from "./router.js";
export type { Pipeline, PipelineCommand, PipelineCommandType, CommandSource, AudioChunkOut } from "./pipeline.js";
export { createLogger, silentLogger, LOG_LEVELS, type Logger, type LogFields, type LoggerOptions, type LogLevel } from "./logger.js";
export { SERVER_VERSION } from "./version.js";
export {
  PROTOCOL_VERSION,
  EVENT_DATA,
  EVENT_TYPES,
  COMMAND_DATA,
  COMMAND_TYPES,
  COMMAND_ERROR_CODES,
  ProtocolError,
  buildProtocolSchema,
  decodeCommand,
  validateEvent,
  type Command,
  type CommandType,
  type CommandOfType,
  type CommandData,
  type CommandErrorCode,
  type EventData,
  type EventInput,
  type EventType,
  type LoggedEvent,
  type ServerEvent,
} from "./protocol/index.js";
