/**
 * The TTS stage actor: chunks with their duration then tts.done,
 * cancellation aborts the synthesis with nothing afterwards, failures keep
 * the engine's code, output that is not PCM bytes is refused, and the wait
 * for a busy engine goes out with the first chunk.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createTtsLogic } from "../../../actors/tts/actor.js";
import { ScriptedTtsEngine } from "../../../actors/tts/testing/scripted.js";
import type { TtsEngine } from "../../../actors/tts/types.js";
import { host, type Hosted } from "../host.js";
import { sleep } from "../../helpers/wait.js";

let h: Hosted;
afterEach(() => h.close());

describe("tts actor", () => {
  it("sends each chunk with its audio duration, then tts.done", async () => {
    const engine = new ScriptedTtsEngine({ msPerChar: 50, chunkMs: 200 }); // 10 chars -> 500 ms -> 200 + 200 + 100
    h = host(createTtsLogic({ engine }), { turnId: "t1", text: "Hello you." });
    await h.waitFor((e) => e.type === "tts.done");
    expect(h.received.map((e) => (e.type === "tts.chunk" ? [e.pcm.byteLength, e.audioMs] : e.type))).toEqual([[6400, 200], [6400, 200], [3200, 100], "tts.done"]);
  });

  it("stopping the actor aborts the synthesis and nothing arrives afterwards", async () => {
    const engine = new ScriptedTtsEngine({ msPerChar: 60, chunkMs: 50, chunkDelayMs: 15 });
    h = host(createTtsLogic({ engine }), { turnId: "t1", text: "A long sentence that takes a while to say." });
    await h.waitFor((e) => e.type === "tts.chunk");
    h.stopChild();
    const count = h.received.length;
    expect(engine.calls[0]!.signal.aborted).toBe(true);
    await sleep(80);
    expect(h.received.length).toBe(count);
    expect(engine.calls[0]!.completed).toBe(false);
  });

  it("an engine failure becomes tts.error with the engine's code", async () => {
    h = host(createTtsLogic({ engine: new ScriptedTtsEngine({ failWith: { code: "voice_not_found", message: "no voice xx" } }) }), { turnId: "t1", text: "Hi." });
    expect(await h.waitFor((e) => e.type === "tts.error")).toEqual({ type: "tts.error", code: "voice_not_found", message: "no voice xx" });
    expect(h.received).toHaveLength(1);
  });

  it("a chunk that is not PCM bytes is malformed_output", async () => {
    const bad = { name: "bad", voice: "v", format: { sample_rate: 16000, sample_type: "s16le", channels: 1 }, async *synthesize() { yield "nope"; }, close: async () => {} };
    h = host(createTtsLogic({ engine: bad as unknown as TtsEngine }), { turnId: "t1", text: "Hi." });
    expect(await h.waitFor((e) => e.type === "tts.error")).toEqual({
      type: "tts.error",
      code: "malformed_output",
      message: "The synthesiser produced a chunk that is not PCM bytes",
    });
  });

  it("the sentence's first chunk carries the wait the engine reported for a busy worker; a nonsense wait is ignored", async () => {
    const pooled: TtsEngine = {
      name: "pooled",
      voice: "v",
      format: { sample_rate: 16000, sample_type: "s16le", channels: 1 },
      async *synthesize(_text, { onQueued }) {
        onQueued?.(Number.NaN);
        onQueued?.(37.5);
        yield new Uint8Array(3200);
        yield new Uint8Array(3200);
      },
      close: async () => {},
    };
    h = host(createTtsLogic({ engine: pooled }), { turnId: "t1", text: "Hi." });
    await h.waitFor((e) => e.type === "tts.done");
    expect(h.received.map((e) => (e.type === "tts.chunk" ? { audioMs: e.audioMs, queuedMs: e.queuedMs } : e.type))).toEqual([
      { audioMs: 100, queuedMs: 37.5 },
      { audioMs: 100, queuedMs: undefined },
      "tts.done",
    ]);
  });
});
