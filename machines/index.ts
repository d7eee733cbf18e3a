/** Pure machine definitions (no I/O): the session machine, the turn machine it invokes, their helpers and types. */
export { voiceMachine, withStageActors, type VoiceMachine } from "./voice.js";
export { onVoiceEmitted } from "./emitted.js";
export { turnActorSlots, turnMachine, type TurnActorSlots, type TurnMachine } from "./turn.js";
export { turnCutEvents, type CutReason } from "./turn-events.js";
export { buildMessages, turnMessages } from "./turn-messages.js";
export type {
  PlayoutEvent,
  RecalledMemory,
  TurnContext,
  TurnEvent,
  TurnInput,
  TurnOutput,
  TurnReportTarget,
  TurnSettings,
  TurnSpeech,
  TurnUserEvent,
} from "./turn-types.js";
export {
  DEFAULT_DEADLINES,
  DEFAULT_DEMO_TEXT,
  DEFAULT_ENGINE_INFO,
  DEFAULT_SYSTEM_PROMPT,
  type CutOutcome,
  type Deadlines,
  type EngineInfo,
  type ListenMode,
  type Phase,
  type TurnMode,
  type TurnReport,
  type TurnRequest,
  type TurnStage,
  type VoiceContext,
  type VoiceEmitted,
  type VoiceEmittedType,
  type VoiceEvent,
  type VoiceMachineInput,
} from "./voice-types.js";
