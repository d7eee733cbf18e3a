/**
 * The scripted recogniser for tests. It is also the demo's recogniser (a
 * product feature), so it lives in actors/stt/scripted.ts; tests import it
 * from here as from every other fake.
 */
export { ScriptedSttEngine, silentAudioSource, type ScriptedSttCall, type ScriptedSttOptions } from "../scripted.js";
