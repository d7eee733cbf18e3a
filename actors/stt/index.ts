/** The speech-to-text stage: engine interface, actor logic and scripted engine. */
export type { AudioSource, SttEngine, SttUpdate, TranscribeOptions } from "./types.js";
export { createDemoSttLogic, createSttLogic, transcribeUtterance, type DemoSttLogicOptions, type SttLogicOptions } from "./actor.js";
export { ScriptedSttEngine, silentAudioSource, type ScriptedSttCall, type ScriptedSttOptions } from "./testing/scripted.js";
