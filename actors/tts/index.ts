/** The text-to-speech stage: engine interface, actor logic and scripted engine. */
export type { TtsEngine } from "./types.js";
export { createTtsLogic, synthesizeSentence, type TtsLogicOptions } from "./actor.js";
export { ScriptedTtsEngine, type ScriptedTtsCall, type ScriptedTtsOptions } from "./testing/scripted.js";
