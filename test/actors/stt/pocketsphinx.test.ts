/**
 * PocketSphinx recognises speech made by the embedded eSpeak NG engine,
 * fully offline. Needs the Debian packages pocketsphinx and
 * pocketsphinx-en-us (.ci/run installs them); the recognition tests are
 * skipped, saying so, when they are missing.
 */
import { writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../../actors/audio.js";
import { convertPcm } from "../../../actors/audio-resample.js";
import { EngineError } from "../../../actors/engine-error.js";
import { PocketSphinxStt } from "../../../actors/stt/pocketsphinx.js";
import type { SttUpdate } from "../../../actors/stt/types.js";
import { EspeakTts } from "../../../actors/tts/espeak.js";
import { concatBytes } from "../../../actors/wav.js";
import { collect } from "../../helpers/iterables.js";
import { useTempDir } from "../../helpers/temp-dir.js";

const installed = PocketSphinxStt.isAvailable();
if (!installed) {
  console.warn("SKIPPED PocketSphinx recognition tests: pocketsphinx_continuous or /usr/share/pocketsphinx/model/en-us is missing (apt-get install pocketsphinx pocketsphinx-en-us)");
}

async function speak(tts: EspeakTts, text: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of tts.synthesize(text, { signal: new AbortController().signal })) chunks.push(c);
  return convertPcm(concatBytes(...chunks), tts.format, INPUT_PCM);
}

async function* inChunks(pcm: Uint8Array, bytes = 3200): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < pcm.byteLength; at += bytes) yield pcm.subarray(at, at + bytes);
}

describe.skipIf(!installed)("PocketSphinxStt on eSpeak NG speech", () => {
  let tts: EspeakTts;
  let speech: Uint8Array;
  beforeAll(async () => {
    tts = new EspeakTts({ rate: 150 });
    speech = await speak(tts, "Hello world. What time is it?");
  }, 30_000);
  afterAll(async () => {
    await tts.close();
  });

  it("yields a non-empty final transcript, after any partials, as the last update", async () => {
    const stt = new PocketSphinxStt();
    const updates = await collect(stt.transcribe(inChunks(speech), { signal: new AbortController().signal, format: INPUT_PCM }));
    const last = updates.at(-1)!;
    expect(last.kind).toBe("final");
    expect(updates.filter((u) => u.kind === "final").length).toBe(1);
    expect(last.kind === "final" && last.text.trim().length).toBeGreaterThan(0);
    expect(last.kind === "final" && last.confidence).toBe(null);
    await stt.close();
  }, 30_000);

  it("accepts audio in another format and converts it", async () => {
    const at22k = convertPcm(speech, INPUT_PCM, tts.format);
    const stt = new PocketSphinxStt();
    const updates = await collect(stt.transcribe(inChunks(at22k, 4411), { signal: new AbortController().signal, format: tts.format }));
    const last = updates.at(-1)!;
    expect(last.kind === "final" && last.text.length).toBeGreaterThan(0);
  }, 30_000);

  it("yields an empty final for silence", async () => {
    const stt = new PocketSphinxStt();
    const updates = await collect(stt.transcribe(inChunks(new Uint8Array(16000)), { signal: new AbortController().signal, format: INPUT_PCM }));
    expect(updates).toEqual([{ kind: "final", text: "", confidence: null }]);
  }, 30_000);

  it("stops when aborted while audio is still streaming", async () => {
    const controller = new AbortController();
    async function* neverEnds(): AsyncGenerator<Uint8Array> {
      yield speech.subarray(0, 3200);
      await new Promise(() => {});
    }
    const stt = new PocketSphinxStt();
    const updates: SttUpdate[] = [];
    const run = (async () => {
      for await (const u of stt.transcribe(neverEnds(), { signal: controller.signal, format: INPUT_PCM })) updates.push(u);
    })();
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    expect(updates).toEqual([]);
  });

  it("reports a broken model folder as engine_error", async () => {
    const stt = new PocketSphinxStt({ modelDir: "/nonexistent/model" });
    const err = await collect(stt.transcribe(inChunks(speech), { signal: new AbortController().signal, format: INPUT_PCM })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe("engine_error");
    expect((err as EngineError).message).toMatch(/^PocketSphinx failed: /);
  }, 30_000);
});

describe("PocketSphinxStt detection", () => {
  const tmp = useTempDir("coda-ps-", "file");
  let dir: string;
  beforeAll(() => {
    dir = tmp();
  });

  it("is unavailable when the program is not on PATH, and transcribe says how to install it", async () => {
    expect(PocketSphinxStt.isAvailable({ env: { PATH: dir } })).toBe(false);
    const stt = new PocketSphinxStt({ env: { PATH: dir } });
    const err = await collect(stt.transcribe(inChunks(new Uint8Array(320)), { signal: new AbortController().signal, format: INPUT_PCM })).catch((e: unknown) => e);
    expect((err as EngineError).code).toBe("stt_unavailable");
    expect((err as EngineError).message).toBe("PocketSphinx (pocketsphinx_continuous) is not installed. Debian/Ubuntu: apt-get install pocketsphinx pocketsphinx-en-us.");
  });

  it("is unavailable when the program exists but the model does not", () => {
    const fake = join(dir, "pocketsphinx_continuous");
    writeFileSync(fake, "#!/bin/sh\nexit 0\n");
    chmodSync(fake, 0o755);
    expect(PocketSphinxStt.isAvailable({ env: { PATH: dir }, modelDir: join(dir, "no-model") })).toBe(false);
  });
});
