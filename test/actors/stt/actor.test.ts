/**
 * The STT stage actors: partials then one final, audio.end (stt_stop) ends
 * the utterance, cancellation aborts the engine with nothing afterwards,
 * failures keep the engine's code; the demo actor hears its input text.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createDemoSttLogic, createSttLogic } from "../../../actors/stt/actor.js";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import type { AudioSource, SttEngine } from "../../../actors/stt/types.js";
import { INPUT_PCM } from "../../../actors/audio.js";
import { host, tick, type Hosted } from "../host.js";

let h: Hosted;
afterEach(() => h.close());

/** A source that yields `n` chunks, then stays open until aborted. */
function openSource(n: number): AudioSource & { signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  return {
    kind: "client",
    format: INPUT_PCM,
    signals,
    async *open(signal) {
      signals.push(signal);
      for (let i = 0; i < n; i++) yield new Uint8Array(320);
      await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
    },
  };
}

describe("stt actor", () => {
  it("reports partials then the final transcript", async () => {
    h = host(createSttLogic({ engine: new ScriptedSttEngine({ utterances: ["open the door"] }) }), { turnId: "t1" });
    await h.waitFor((e) => e.type === "stt.final");
    expect(h.received).toEqual([
      { type: "stt.partial", text: "open" },
      { type: "stt.partial", text: "open the" },
      { type: "stt.partial", text: "open the door" },
      { type: "stt.final", text: "open the door", confidence: 0.92 },
    ]);
  });

  it("audio.end ends the audio: the engine finishes with what it heard, after the chunks already received", async () => {
    const engine = new ScriptedSttEngine({ utterances: ["hello"], waitForAudioEnd: true });
    const source = openSource(3);
    h = host(createSttLogic({ engine, source }), { turnId: "t1" });
    await h.waitFor((e) => e.type === "stt.partial");
    await tick(20);
    expect(h.received.map((e) => e.type)).toEqual(["stt.partial"]);
    h.send({ type: "audio.end" });
    expect(await h.waitFor((e) => e.type === "stt.final")).toEqual({ type: "stt.final", text: "hello", confidence: 0.92 });
    expect(engine.calls[0]!.chunks).toBe(3);
    expect(source.signals[0]!.aborted).toBe(true);
  });

  it("stopping the actor aborts the engine and the source, and nothing arrives afterwards", async () => {
    const engine = new ScriptedSttEngine({ utterances: ["one two three four five"], partialDelayMs: 15 });
    const source = openSource(0);
    h = host(createSttLogic({ engine, source }), { turnId: "t1" });
    await h.waitFor((e) => e.type === "stt.partial");
    h.stopChild();
    const count = h.received.length;
    expect(engine.calls[0]!.signal.aborted).toBe(true);
    expect(source.signals[0]!.aborted).toBe(true);
    await tick(100);
    expect(h.received.length).toBe(count);
    expect(engine.calls[0]!.yielded.length).toBe(count);
  });

  it("an engine failure becomes stt.error with the engine's code; ending without a final is engine_error", async () => {
    h = host(createSttLogic({ engine: new ScriptedSttEngine({ utterances: ["hi"], failWith: { code: "stt_unavailable", message: "no model" } }) }), { turnId: "t1" });
    expect(await h.waitFor((e) => e.type === "stt.error")).toEqual({ type: "stt.error", code: "stt_unavailable", message: "no model" });
    h.close();
    const silent: SttEngine = { name: "x", async *transcribe() {}, close: async () => {} };
    h = host(createSttLogic({ engine: silent }), { turnId: "t1" });
    expect(await h.waitFor((e) => e.type === "stt.error")).toEqual({
      type: "stt.error",
      code: "engine_error",
      message: "The recogniser ended without a final transcript",
    });
  });

  it("the demo actor hears its input text", async () => {
    h = host(createDemoSttLogic({ partialDelayMs: 0 }), { turnId: "t1", text: "demo words" });
    await h.waitFor((e) => e.type === "stt.final");
    expect(h.received.map((e) => e.text)).toEqual(["demo", "demo words", "demo words"]);
  });
});
