/**
 * eSpeak NG in WebAssembly, synchronous core. The `espeak-ng` npm package is
 * the eSpeak NG command-line program compiled with Emscripten: it exports
 * only `main`, writes its WAV output to an in-memory file system, and keeps
 * global state (getopt's index, the synthesiser's tables) across calls.
 *
 * Loading (compiling and instantiating 18 MB of WASM with the voice data
 * embedded) costs about 100 ms, so it happens once. Each synthesis then:
 * restores the linear memory to a snapshot taken right after start-up (so
 * every call sees a freshly started program: getopt, heap and synthesiser
 * state are reset; a 32 MB copy costing a few ms), writes the text to a file
 * (so text starting with "-" is never read as an option), runs `main` with
 * `-w /out.wav -f /in.txt`, and reads the WAV back.
 *
 * This module blocks its thread for the duration of a synthesis. The engine
 * (espeak.ts) runs it in a worker thread; bench/tts.ts also runs it on the
 * main thread as the baseline.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { ESpeakNgModule } from "espeak-ng";
import type { PcmFormat } from "../audio.js";
import { convertPcm } from "../audio-resample.js";
import { EngineError } from "../engine-error.js";
import { decodeWav } from "../wav.js";

/** What a synthesis call may vary. */
export interface EspeakVoiceSettings {
  /** eSpeak NG voice name, e.g. "en-us", "en-gb", "de", "en-us+f3". */
  voice: string;
  /** Speaking rate in words per minute (eSpeak's -s, 80..450). */
  rate: number;
  /** Pitch 0..99 (eSpeak's -p). */
  pitch: number;
}

/** eSpeak NG's native output: 22.05 kHz, 16-bit, mono. */
export const ESPEAK_PCM: PcmFormat = { sample_rate: 22050, sample_type: "s16le", channels: 1 };

/** A loaded synthesiser. Not thread-safe; one call at a time. */
export interface EspeakSynth {
  /** Synthesise `text` to PCM in ESPEAK_PCM format. Throws EngineError `engine_error` on failure. */
  synthesize(text: string, settings: EspeakVoiceSettings): Uint8Array;
}

interface WasmExports {
  malloc(size: number): number;
  stackSave(): number;
  stackRestore(pointer: number): void;
}

const IN_FILE = "/in.txt";
const OUT_FILE = "/out.wav";
/** Emscripten's notice when `main` calls exit() while the runtime stays alive; not an eSpeak error. */
const EXIT_NOTICE = /^program exited \(with status/;

/** Load eSpeak NG once; the returned object synthesises any number of sentences. */
export async function loadEspeak(): Promise<EspeakSynth> {
  const require = createRequire(import.meta.url);
  const wasmPath = require.resolve("espeak-ng").replace(/espeak-ng\.js$/, "espeak-ng.wasm");
  const compiled = await WebAssembly.compile(await readFile(wasmPath));
  let exports: WasmExports | null = null;
  const errors: string[] = [];
  // Loaded when eSpeak is chosen, not with coda-core.
  const { default: ESpeakNg } = await import("espeak-ng");
  const module: ESpeakNgModule = await ESpeakNg({
    noInitialRun: true,
    print: () => {},
    printErr: (line) => {
      if (!EXIT_NOTICE.test(line)) errors.push(line);
    },
    instantiateWasm(imports, receiveInstance) {
      void WebAssembly.instantiate(compiled, imports).then((instance) => {
        exports = instance.exports as unknown as WasmExports;
        receiveInstance(instance, compiled);
      });
      return {};
    },
  });
  if (exports === null) throw new EngineError("engine_error", "eSpeak NG WebAssembly module did not instantiate");
  const wasm: WasmExports = exports;
  const snapshot = module.HEAPU8.slice();
  const stackTop = wasm.stackSave();
  const encoder = new TextEncoder();

  function runMain(args: string[]): { status: number | null; thrown: unknown } {
    module.HEAPU8.set(snapshot);
    wasm.stackRestore(stackTop);
    const argv = ["espeak-ng", ...args];
    const pointers = argv.map((arg) => {
      const bytes = encoder.encode(`${arg}\0`);
      const at = wasm.malloc(bytes.byteLength);
      module.HEAPU8.set(bytes, at);
      return at;
    });
    const argvAt = wasm.malloc(4 * (pointers.length + 1));
    const view = new DataView(module.HEAPU8.buffer);
    pointers.forEach((p, i) => view.setUint32(argvAt + 4 * i, p, true));
    view.setUint32(argvAt + 4 * pointers.length, 0, true);
    try {
      return { status: module._main(pointers.length, argvAt), thrown: null };
    } catch (err) {
      // exit(n) inside main surfaces as Emscripten's ExitStatus; the next call restores memory anyway.
      const status = (err as { name?: string; status?: number }).name === "ExitStatus" ? (err as { status: number }).status : null;
      return { status, thrown: status === null ? err : null };
    }
  }

  return {
    synthesize(text, settings) {
      errors.length = 0;
      if (module.FS.analyzePath(OUT_FILE).exists) module.FS.unlink(OUT_FILE);
      module.FS.writeFile(IN_FILE, text);
      const { status, thrown } = runMain([
        "-w", OUT_FILE,
        "-v", settings.voice,
        "-s", String(settings.rate),
        "-p", String(settings.pitch),
        "-f", IN_FILE,
      ]);
      if (thrown !== null) {
        throw new EngineError("engine_error", `eSpeak NG crashed: ${String(thrown)}`, { cause: thrown });
      }
      if (status !== 0 || !module.FS.analyzePath(OUT_FILE).exists) {
        const detail = errors.map((e) => e.replace(/^Error:\s*/, "")).join("; ") || `exit status ${status}`;
        throw new EngineError("engine_error", `eSpeak NG failed: ${detail}`);
      }
      const wav = decodeWav(module.FS.readFile(OUT_FILE));
      module.FS.unlink(OUT_FILE);
      // Copy out of the WASM-owned buffer; convert only if a voice ever produced another rate.
      return convertPcm(wav.data.slice(), wav.format, ESPEAK_PCM);
    },
  };
}
