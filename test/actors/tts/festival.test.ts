/**
 * The optional Festival engine: a clear message when it is missing, an
 * EngineError (never an uncaught 'error') when its program cannot start or
 * fails, and, where Debian's festival and festvox-us-slt-hts are installed
 * (.ci/run installs them), real streamed speech that an abort cuts off.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { pcmDurationMs } from "../../../actors/audio.js";
import { EngineError, isAbortError } from "../../../actors/engine-error.js";
import { FESTIVAL_PCM, FestivalTts } from "../../../actors/tts/festival.js";
import { concatBytes } from "../../../actors/wav.js";
import { abortAfterChunks } from "./engine-checks.js";
import { collect } from "../../helpers/iterables.js";
import { rmsS16 } from "../../../actors/stt/vad.js";
import { useTempDir } from "../../helpers/temp-dir.js";


const signal = () => new AbortController().signal;

describe("FestivalTts when it cannot run", () => {
  const tmp = useTempDir("coda-festival-", "file");
  let dir: string;
  let voiceRoot: string;
  beforeAll(() => {
    dir = tmp();
    voiceRoot = join(dir, "voices");
    mkdirSync(join(voiceRoot, "english", "cmu_us_slt_arctic_hts"), { recursive: true });
  });

  function program(name: string, script: string): string {
    const path = join(dir, name);
    writeFileSync(path, script);
    chmodSync(path, 0o755);
    return path;
  }

  it("says what to install when text2wave is not on PATH, before and at synthesis", async () => {
    const message = "Festival (text2wave) is not installed. Debian/Ubuntu: apt-get install festival festvox-us-slt-hts";
    expect(FestivalTts.missing({ env: { PATH: dir } })).toBe(message);
    const tts = new FestivalTts({ env: { PATH: dir } });
    await expect(collect(tts.synthesize("Hello.", { signal: signal() }))).rejects.toEqual(new EngineError("tts_unavailable", message));
  });

  it("says which voice is missing", () => {
    const path = program("text2wave-ok", "#!/bin/sh\nexit 0\n");
    expect(FestivalTts.missing({ program: path, voice: "cmu_us_awb_cg", voiceRoot })).toBe('Festival voice "cmu_us_awb_cg" is not installed (install the festvox package that provides it)');
    expect(FestivalTts.missing({ program: path, voiceRoot })).toBe(null);
  });

  it("turns a program that cannot be started into engine_error", async () => {
    // Executable, but its interpreter does not exist: spawn emits 'error' (ENOENT).
    const path = program("text2wave-broken", "#!/nonexistent/interpreter\n");
    const tts = new FestivalTts({ program: path, voiceRoot });
    const err = await collect(tts.synthesize("Hello.", { signal: signal() })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: "engine_error", message: `Festival (${path}) could not start: spawn ${path} ENOENT` });
  });

  it("reports a failing program's exit status and last stderr line", async () => {
    const path = program("text2wave-fails", "#!/bin/sh\ncat >/dev/null\necho 'SIOD ERROR: unbound variable voice_x' >&2\nexit 3\n");
    const tts = new FestivalTts({ program: path, voiceRoot });
    await expect(collect(tts.synthesize("Hello.", { signal: signal() }))).rejects.toEqual(new EngineError("engine_error", "Festival exited with status 3: SIOD ERROR: unbound variable voice_x"));
  });

  it("kills the process on abort mid-stream: AbortError, nothing after the abort, the process gone", async () => {
    const pidFile = join(dir, "pid");
    // Writes a 16 kHz WAV header and one second of sound, then hangs as a stuck synthesiser would.
    const path = program(
      "text2wave-hangs",
      `#!${process.execPath}
require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
const pcm = Buffer.alloc(32000); for (let i = 0; i < 16000; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin(i / 5)), 2 * i);
const h = Buffer.alloc(44); h.write("RIFF", 0); h.writeUInt32LE(36 + 320000, 4); h.write("WAVEfmt ", 8); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22);
h.writeUInt32LE(16000, 24); h.writeUInt32LE(32000, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write("data", 36); h.writeUInt32LE(320000, 40);
process.stdout.write(Buffer.concat([h, pcm])); setTimeout(() => {}, 600000);
`,
    );
    const tts = new FestivalTts({ program: path, voiceRoot });
    const { received, caught } = await abortAfterChunks(tts, "Hello.", 2);
    expect(isAbortError(caught)).toBe(true);
    expect(received.length).toBe(2);
    expect(received.every((c) => c.byteLength === 3200)).toBe(true);
    const pid = Number(readFileSync(pidFile, "utf8"));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return "running";
      } catch {
        return "gone";
      }
    };
    await expect.poll(alive, { timeout: 10_000 }).toBe("gone");
  }, 30_000);

  it("refuses a voice name that is not a plain name (it becomes a Scheme call)", () => {
    expect(() => new FestivalTts({ voice: "x) (system \"rm\"" })).toThrow(new TypeError('festival voice "x) (system "rm"" is not a valid voice name (letters, digits, _)'));
  });
});

const installed = FestivalTts.missing() === null;
if (!installed) console.warn(`SKIPPED Festival speech tests: ${FestivalTts.missing()}`);

describe.skipIf(!installed)("FestivalTts speaking (Debian festival + festvox-us-slt-hts)", () => {
  it("streams non-silent 16 kHz PCM in 100 ms chunks", async () => {
    const tts = new FestivalTts();
    const chunks = await collect(tts.synthesize("What time is it?", { signal: signal() }));
    const pcm = concatBytes(...chunks);
    expect(tts.format).toEqual({ sample_rate: 16000, sample_type: "s16le", channels: 1 });
    expect(chunks.slice(0, -1).every((c) => c.byteLength === 3200)).toBe(true);
    const ms = pcmDurationMs(pcm.byteLength, FESTIVAL_PCM);
    expect(ms).toBeGreaterThan(500);
    expect(ms).toBeLessThan(4000);
    expect(rmsS16(pcm)).toBeGreaterThan(0.02);
  }, 60_000);

  it("aborted while Festival synthesises: rejects with AbortError and yields nothing", async () => {
    const tts = new FestivalTts();
    const controller = new AbortController();
    const received: Uint8Array[] = [];
    const done = (async () => {
      for await (const chunk of tts.synthesize("This sentence is cut off before Festival has finished it.", { signal: controller.signal })) received.push(chunk);
    })();
    // Festival needs over a second to load its voice; abort while it does.
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    const err = await done.catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    expect(received).toEqual([]);
  }, 60_000);
});
