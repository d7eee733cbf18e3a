/**
 * Choosing and loading the voice-activity detector: Silero VAD by default,
 * the energy detector when asked for (`--vad energy`) or when the model
 * cannot load. Silero runs behind the speaker-level gate
 * (actors/stt/vad-level-gate.ts), so talk further from the microphone than
 * the user does not count as the user's speech. The provider's
 * `description` is the start-up line that says which detector runs and why.
 */
import { defaultPoolSize, inWorkerThreads } from "../engine-pool.js";
import { EnergyVad, energyVadProvider } from "./vad-energy.js";
import { checkSileroOptions, SILERO_DEFAULTS, SileroModel, SileroVad } from "./vad-silero.js";
import { checkLevelGateOptions, gateByLevel, LEVEL_GATE_DEFAULTS } from "./vad-level-gate.js";
import type { EndpointOptions, VadProvider } from "./vad.js";

/** Options of `loadVad`; every field has a default. */
export interface LoadVadOptions {
  /** Which detector: "silero" (default) or "energy". */
  detector?: "silero" | "energy";
  /** Silero's speech probability threshold, 0..1. Default 0.5. */
  threshold?: number;
  /** The energy detector's RMS threshold, 0..1 (also used by the fallback). Default 0.01. */
  energyThreshold?: number;
  /** Minimum speech, end-of-speech silence, maximum utterance (ms). Defaults: SILERO_DEFAULTS. */
  endpointing?: Partial<EndpointOptions>;
  /**
   * Silero only: speech more than this many dB below the speaker's level
   * does not count (the speaker-level gate). Default 6 (LEVEL_GATE_DEFAULTS); 0 turns the gate off.
   */
  levelGateDb?: number;
  /** Model file instead of the installed package's (tests of the fallback). */
  modelPath?: string;
  /** Silero only: most worker threads, i.e. frames scored at once (the `enginePoolSize` setting). Default: the core count. */
  workers?: number;
}

/**
 * Build the detector the options ask for. Never fails for a model that
 * cannot load: it falls back to the energy detector and says why in
 * `description` (and streams created once the model can no longer start a
 * worker get the energy detector too). Throws TypeError for invalid
 * thresholds or pool size.
 * @example
 * const vad = await loadVad({ detector: "silero", endpointing: { hangoverMs: 500 } });
 * console.error(vad.description); // "VAD: Silero v5 ..."
 * createBridge({ engines, vad });
 */
export async function loadVad(options: LoadVadOptions = {}): Promise<VadProvider> {
  const endpointing = { ...pick(SILERO_DEFAULTS), ...options.endpointing };
  const energy = { ...endpointing, ...(options.energyThreshold !== undefined ? { threshold: options.energyThreshold } : {}) };
  const silero = { ...endpointing, threshold: options.threshold ?? SILERO_DEFAULTS.threshold };
  // Both sets are checked whatever runs, so a bad setting is refused before the fallback could hide it.
  checkSileroOptions(silero);
  const gate = { ...LEVEL_GATE_DEFAULTS, ...(options.levelGateDb !== undefined ? { marginDb: options.levelGateDb } : {}) };
  checkLevelGateOptions(gate);
  const describeEnergy = (why: string) => `VAD: energy threshold ${energy.threshold ?? 0.01} RMS (${why}), ends after ${endpointing.hangoverMs} ms of silence`;
  if (options.detector === "energy") return energyVadProvider(energy, describeEnergy("--vad energy"));
  energyVadProvider(energy);
  const workers = options.workers ?? defaultPoolSize();
  let model: SileroModel;
  try {
    model = await SileroModel.load(options.modelPath, { workers });
  } catch (err) {
    if (err instanceof TypeError) throw err;
    return energyVadProvider(energy, describeEnergy(`fallback: ${(err as Error).message}`));
  }
  return gateByLevel(gate, {
    name: "silero",
    description: `VAD: Silero v5 (silero_vad_v5.onnx run in JavaScript, ${inWorkerThreads(workers)}), speech probability ${silero.threshold}, ends after ${endpointing.hangoverMs} ms of silence`,
    options: silero,
    // A model that can no longer start a worker leaves later streams to the energy detector rather than failing every utterance.
    create: (format, detector) => (model.failure ? new EnergyVad(energy, format, detector) : new SileroVad(model, silero, format, detector)),
    close: () => model.close(),
  });
}

function pick(o: typeof SILERO_DEFAULTS): EndpointOptions {
  return { startMs: o.startMs, hangoverMs: o.hangoverMs, maxUtteranceMs: o.maxUtteranceMs };
}
