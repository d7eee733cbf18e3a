/** The text-to-speech stage: engine interface, actor logic and engines (test fakes: ./testing/). */
export { TTS_ENGINE_NAMES, type SynthesizeOptions, type TtsEngine, type TtsEngineName } from "./types.js";
export { toSpeakable } from "./speakable.js";
export { createTtsLogic, synthesizeSentence, type TtsLogicOptions } from "./actor.js";
export { EspeakTts, type EspeakTtsOptions, type EspeakStats } from "./espeak.js";
export { ESPEAK_PCM, loadEspeak, type EspeakSynth, type EspeakVoiceSettings } from "./espeak-wasm.js";
export { OpenAiTts, type OpenAiTtsOptions } from "./openai.js";
export { NoSpeechTts } from "./none.js";
export { findPlayer, playPcm, playerArgs, PLAYER_NAMES, NO_PLAYER_MESSAGE, type Player, type PlayerName, type PlayOptions } from "./player.js";
export { FliteTts, DEFAULT_FLITE_VOICE, type FliteTtsOptions } from "./flite.js";
export { FLITE_PCM, FLITE_VOICES, isFliteVoice, loadFlite, type FliteSynth, type FliteVoice, type FliteVoiceSettings } from "./flite-wasm.js";
export { FestivalTts, FESTIVAL_PCM, DEFAULT_FESTIVAL_VOICE, type FestivalTtsOptions } from "./festival.js";
export { selectTtsEngine, type TtsSelection, type TtsSettings } from "./select.js";
export type { SynthWorkerStats } from "./synth-worker.js";
