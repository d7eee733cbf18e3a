/**
 * Worker-thread entry for the eSpeak NG engine (espeak.ts): serves
 * espeak-wasm.ts's synthesiser with the shared worker body.
 */
import { loadEspeak } from "./espeak-wasm.js";
import { serveSynth } from "./synth-worker-body.js";

await serveSynth(loadEspeak);
