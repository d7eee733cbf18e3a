/**
 * Worker-thread entry for the Flite engine (flite.ts): serves flite-wasm.ts's
 * synthesiser with the shared worker body.
 */
import { loadFlite } from "./flite-wasm.js";
import { serveSynth } from "./synth-worker-body.js";

await serveSynth(loadFlite);
