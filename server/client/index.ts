/**
 * The typed Coda Core client (browser and Node). See docs/dashboard.md and
 * docs/protocol.md.
 */
export {
  CodaClient,
  type AudioChunk,
  type ClientEventMap,
  type CodaClientOptions,
  type CommandInput,
  type CommandOptions,
  type SttStartOptions,
  type CommandResult,
  type ConnectionState,
  type EventMeta,
  type GapInfo,
  type InvalidFrame,
  type ResetInfo,
  type ResumeInfo,
  type StateInfo,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./client.js";
export {
  Conversation,
  type ConversationError,
  type ConversationInterruption,
  type ConversationOptions,
  type ConversationToolCall,
  type ConversationTurn,
} from "./conversation.js";
export type { EventData, EventType, ServerEvent, ServerEventOf } from "../protocol/events.js";
export { DEFAULT_SESSION_ID, SESSION_ID_PATTERN } from "../protocol/common.js";
export { CommandError, CLIENT_ERROR_CODES, type ClientErrorCode } from "./errors.js";
export { backoffDelay, resolveBackoff, type Backoff, type BackoffOptions } from "./backoff.js";
export { Emitter, type EventMap } from "./emitter.js";
