/** The speech-to-text stage: engine interface, actor logic and scripted engine. */
export type { AudioSource, SttEngine, SttUpdate, TranscribeOptions } from "./types.js";
export { createDemoSttLogic, createSttLogic, transcribeUtterance, type DemoSttLogicOptions, type SttLogicOptions } from "./actor.js";
export { ScriptedSttEngine, silentAudioSource, type ScriptedSttCall, type ScriptedSttOptions } from "./scripted.js";
export { OpenAiStt, type OpenAiSttOptions } from "./openai.js";
export { PocketSphinxStt, POCKETSPHINX_DEFAULTS, type PocketSphinxOptions } from "./pocketsphinx.js";
export { UnavailableStt, STT_UNAVAILABLE_MESSAGE } from "./unavailable.js";
export {
  EnergyVad,
  energyVadProvider,
  VAD_DEFAULTS,
  rmsS16,
  untilUtteranceEnd,
  type DetectorOptions,
  type SpeechDetector,
  type VadEvent,
  type VadFrame,
  type VadOptions,
  type VadProvider,
} from "./vad.js";
export { SileroModel, SileroVad, SILERO_DEFAULTS, SILERO_IDLE_MS, SILERO_MODEL_SOURCE, sileroModelPath, type SileroModelOptions } from "./vad-silero.js";
export { loadVad, type LoadVadOptions } from "./vad-select.js";
export { gateByLevel, withSpeakerLevel, SpeakerLevel, LEVEL_GATE_DEFAULTS, type LevelGateOptions } from "./vad-level-gate.js";
export { BargeInMonitor, DEFAULT_BARGE_IN_MIN_MS, type BargeInMonitorOptions, type BargeInSpeech } from "./barge-in.js";
export {
  ClientAudioSource,
  MicrophoneSource,
  FileSource,
  findRecorder,
  recorderArgs,
  RECORDER_NAMES,
  NO_RECORDER_MESSAGE,
  type ClientAudioSourceOptions,
  type MicrophoneSourceOptions,
  type FileSourceOptions,
  type Recorder,
  type RecorderName,
} from "./sources.js";
