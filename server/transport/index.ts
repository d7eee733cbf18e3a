/** The WebSocket transport: the server, its conversation channel, event log and replay, and the client-profile interface. */
export { WebSocketServer, type WebSocketServerOptions } from "./server.js";
export { Channel, type ChannelOptions } from "./channel.js";
export { EventLog, type EventLogOptions, type LogEntry, type LogSlice } from "./event-log.js";
export { ConversationHistory, NEW_CLIENT_LOOSE_EVENTS, PROGRESS_EVENT_TYPES, turnIdOf, type ConversationHistoryOptions } from "./conversation.js";
export { Replayer, encodeReplay, replaySummary, type BuiltReplay, type ReplayHead } from "./replay.js";
export { NO_PROFILE, PROFILE_NAME, type ClientProfile, type EventEncoder, type PeriodicFrames } from "./profile.js";
export { ProfileRegistry, checkProfiles } from "./profiles.js";
export { WS_PATH, readConnectParams, type ConnectParams } from "./connect-params.js";
export { CloseCode, Connection, type ConnectionHooks } from "./connection.js";
export { CODA_PROTOCOL, TOKEN_PROTOCOL_PREFIX, Gatekeeper, refuseUpgrade, type Refusal } from "./handshake.js";
export { LOOPBACK_HOSTS, ServerOptionsSchema, isLoopbackHost, resolveServerOptions, type ServerOptionsInput, type ServerSettings } from "./options.js";
export { HEALTH_DEGRADED, HEALTH_OK, dependencyFields, turnRefusal, type DependencyCheck, type DependencyHealth } from "./health.js";
export { CommandRouter, type CommandContext, type CommandHandler } from "./router.js";
export { SERVER_VERSION } from "./version.js";
