/**
 * Public API of the coda-core package: `createCodaServer` (the whole
 * pipeline, as `npm start` runs it), `defineTool` for custom tools, the
 * stage interfaces an injected engine implements, the inspector attach, the
 * seed's `WebSocketServer` (a broadcaster without a pipeline) and the
 * protocol schemas. The browser/Node client is `coda-core/client`.
 */
export { createCodaServer, AppConfigError, type CodaServer, type CodaServerOptions, type CodaEngines } from "./app/app.js";
export { SETTINGS, SettingsSchema, type CodaSettings, type CodaSettingsInput, type SettingKey } from "./app/config.js";
export { ToolModuleError, DEFAULT_TOOL_IMPORT_DEADLINE_MS, type ToolSource } from "./app/tool-modules.js";
export { installProcessErrorPolicy, type ProcessErrorPolicyOptions } from "./app/process-errors.js";
export { attachInspector } from "./app/inspect-loader.js";
export type { Inspection, InspectOptions } from "./app/inspect.js";
export { MissingPackageError } from "./app/optional-packages.js";
// From the modules themselves: actors/tools/index.js also loads the test fakes.
export { defineTool, ToolRegistry } from "../actors/tools/registry.js";
export { claimToolError, type ToolErrorClaim } from "../actors/tools/call-scope.js";
export type { Tool, ToolContext, ToolOutcome, ToolRunner } from "../actors/tools/types.js";
export type { ChatMessage, GenerateRequest, LlmChunk, LlmEngine, ToolCall, ToolSpec } from "../actors/llm/index.js";
export type { AudioSource, SttEngine, SttUpdate, TranscribeOptions } from "../actors/stt/index.js";
export type { SynthesizeOptions, TtsEngine } from "../actors/tts/index.js";
export type { MemoryHealth, MemoryHit, MemoryItem, MemoryKind, MemoryStore, RecallOptions } from "../actors/memory/index.js";
export type { PcmFormat } from "../actors/audio.js";
export { EngineError } from "../actors/engine-error.js";
export { WebSocketServer, type WebSocketServerOptions } from "./transport/server.js";
export type { DependencyCheck, DependencyHealth } from "./transport/health.js";
export { EventLog, type EventLogOptions, type LogEntry, type LogSlice } from "./transport/event-log.js";
export { ConversationHistory, PROGRESS_EVENT_TYPES, turnIdOf, type ConversationHistoryOptions } from "./transport/conversation.js";
export { Replayer, encodeReplay, type BuiltReplay, type ReplayHead } from "./transport/replay.js";
export { CloseCode } from "./transport/connection.js";
export { CODA_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "./transport/handshake.js";
export { ServerOptionsSchema, resolveServerOptions, type ServerOptionsInput, type ServerSettings } from "./transport/options.js";
export type { CommandContext, CommandHandler } from "./transport/router.js";
export type { ClientProfile, EventEncoder, PeriodicFrames } from "./transport/profile.js";
export { createCodaLiteProfile, type CodaLiteProfileOptions } from "./compat/index.js";
export type { Pipeline, PipelineCommand, PipelineCommandType, CommandSource } from "./pipeline/pipeline.js";
export { Playout, systemClock, heardText, DEFAULT_STALL_MS, ENDED_SLACK_MS, type AudioOut, type AudioOutput, type AudioSink, type Clock, type Heard, type PlaybackReport, type PlayoutOptions } from "./pipeline/playout.js";
export { createLogger, silentLogger, LOG_LEVELS, type Logger, type LogFields, type LoggerOptions, type LogLevel } from "./app/logger.js";
export { SERVER_VERSION } from "./transport/version.js";
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
