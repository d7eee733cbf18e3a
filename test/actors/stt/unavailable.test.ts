/**
 * With no recogniser configured, transcription fails with stt_unavailable and
 * a message saying how to configure one; the audio is never read.
 */
import { describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../../actors/audio.js";
import { EngineError } from "../../../actors/engine-error.js";
import { STT_UNAVAILABLE_MESSAGE, UnavailableStt } from "../../../actors/stt/unavailable.js";

describe("UnavailableStt", () => {
  it("throws stt_unavailable with setup instructions and reads no audio", async () => {
    let pulled = 0;
    async function* audio(): AsyncGenerator<Uint8Array> {
      pulled++;
      yield new Uint8Array(320);
    }
    const stt = new UnavailableStt();
    expect(stt.name).toBe("none");
    const updates: unknown[] = [];
    const err = await (async () => {
      for await (const u of stt.transcribe(audio(), { signal: new AbortController().signal, format: INPUT_PCM })) updates.push(u);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe("stt_unavailable");
    expect((err as EngineError).message).toBe(STT_UNAVAILABLE_MESSAGE);
    expect(STT_UNAVAILABLE_MESSAGE).toContain("apt-get install pocketsphinx pocketsphinx-en-us");
    expect(STT_UNAVAILABLE_MESSAGE).toContain("/v1/audio/transcriptions");
    expect(updates).toEqual([]);
    expect(pulled).toBe(0);
    await stt.close();
  });

  it("throws AbortError instead when already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const it = new UnavailableStt().transcribe((async function* () {})(), { signal: controller.signal, format: INPUT_PCM });
    await expect(it[Symbol.asyncIterator]().next()).rejects.toMatchObject({ name: "AbortError" });
  });
});
