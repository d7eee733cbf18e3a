/** Pure machine definitions (no I/O): the session machine, the turn machine it invokes, and their types. */
export { voiceMachine, withStageActors, type VoiceMachine } from "./voice.js";
export { onVoiceEmitted } from "./emitted.js";
export { buildMessages, turnActorSlots, turnCutEvents, turnMachine, turnMessages, type TurnActorSlots, type TurnMachine } from "./turn.js";
export type { RecalledMemory, TurnContext, TurnEvent, TurnInput, TurnOutput, TurnSettings, TurnSpeech } from "./turn-types.js";
export {
  DEFAULT_DEADLINES,
  DEFAULT_DEMO_TEXT,
  DEFAULT_ENGINE_INFO,
  DEFAULT_SYSTEM_PROMPT,
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
