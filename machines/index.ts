/** Pure machine definitions (no I/O): the root voice-interaction machine and its types. */
export { buildMessages, voiceMachine, type VoiceMachine } from "./voice.js";
export {
  DEFAULT_DEADLINES,
  DEFAULT_DEMO_TEXT,
  DEFAULT_ENGINE_INFO,
  DEFAULT_SYSTEM_PROMPT,
  type Deadlines,
  type EngineInfo,
  type ListenMode,
  type Phase,
  type Turn,
  type TurnMode,
  type VoiceContext,
  type VoiceEmitted,
  type VoiceEmittedType,
  type VoiceEvent,
  type VoiceMachineInput,
} from "./voice-types.js";
