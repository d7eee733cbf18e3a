/**
 * The STT stage actors: partials then one final, audio.end (stt_stop) ends
 * the utterance, audio.lost (its client left) fails it with client_gone, cancellation aborts the engine with nothing afterwards,
 * failures keep the engine's code; the demo actor hears its input text;
 * the voice-activity detector ends live and file audio at the end of speech;
 * the final carries the waits for busy shared engines.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createDemoSttLogic, createSttLogic } from "../../../actors/stt/actor.js";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import type { AudioSource, SttEngine } from "../../../actors/stt/types.js";
import { INPUT_PCM } from "../../../actors/audio.js";
import type { VadEvent, VadProvider } from "../../../actors/stt/vad.js";
import { host, type Hosted } from "../host.js";
import { sleep, until } from "../../helpers/wait.js";

/** 100 ms chunks: `loud` of a square wave at 0.25 of full scale, then `quiet` of silence; then the source stays open. */
function speechSource(kind: AudioSource["kind"], loud: number, quiet: number): AudioSource & { signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  const chunk = (level: number) => {
    const pcm = new Int16Array(1600);
    for (let i = 0; i < pcm.length; i++) pcm[i] = (i % 32 < 16 ? 1 : -1) * level * 32767;
    return new Uint8Array(pcm.buffer);
  };
  return {
    kind,
    format: INPUT_PCM,
    signals,
    async *open(signal) {
      signals.push(signal);
      for (let i = 0; i < loud; i++) yield chunk(0.25);
      for (let i = 0; i < quiet; i++) yield chunk(0);
      await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
    },
  };
}

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
    await sleep(20);
    expect(h.received.map((e) => e.type)).toEqual(["stt.partial"]);
    h.send({ type: "audio.end" });
    expect(await h.waitFor((e) => e.type === "stt.final")).toEqual({ type: "stt.final", text: "hello", confidence: 0.92 });
    expect(engine.calls[0]!.chunks).toBe(3);
    expect(source.signals[0]!.aborted).toBe(true);
  });

  it("audio.lost (the client streaming the audio left) fails the utterance with client_gone instead of a transcript", async () => {
    const engine = new ScriptedSttEngine({ utterances: ["hello"], waitForAudioEnd: true });
    h = host(createSttLogic({ engine, source: openSource(3) }), { turnId: "t1" });
    await h.waitFor((e) => e.type === "stt.partial");
    h.send({ type: "audio.lost" });
    expect(await h.waitFor((e) => e.type === "stt.error")).toEqual({ type: "stt.error", code: "client_gone", message: "The client streaming the audio disconnected" });
    expect(h.received.filter((e) => e.type === "stt.final")).toEqual([]);
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
    await sleep(100);
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

  it.each(["client", "microphone", "file"] as const)("the VAD ends %s audio at the end of speech: the engine hears up to it and finishes", async (kind) => {
    const engine = new ScriptedSttEngine({ utterances: ["hello"], waitForAudioEnd: true });
    const events: VadEvent[] = [];
    const source = speechSource(kind, 3, 10);
    h = host(createSttLogic({ engine, source, vad: { hangoverMs: 300 }, onVadEvent: (e) => events.push(e) }), { turnId: "t1" });
    expect(await h.waitFor((e) => e.type === "stt.final")).toEqual({ type: "stt.final", text: "hello", confidence: 0.92 });
    expect(events).toEqual([
      { type: "speech_start", atMs: 0 },
      { type: "speech_end", atMs: 600, reason: "silence" },
    ]);
    // 300 ms of speech + 300 ms hangover: the 6th chunk holds the end; the 7th is never read.
    expect(engine.calls[0]!.chunks).toBe(6);
  });

  it("without the VAD (vad: false), or for scripted audio, quiet does not end the utterance; audio.end does", async () => {
    for (const [kind, vad] of [["client", false], ["scripted", undefined]] as const) {
      const engine = new ScriptedSttEngine({ utterances: ["hello"], waitForAudioEnd: true });
      h = host(createSttLogic({ engine, source: speechSource(kind, 3, 10), ...(vad === false ? { vad } : {}) }), { turnId: "t1" });
      await h.waitFor((e) => e.type === "stt.partial");
      await sleep(30);
      expect(engine.calls[0]!.chunks).toBe(13);
      expect(h.received.some((e) => e.type === "stt.final")).toBe(false);
      h.send({ type: "audio.end" });
      await h.waitFor((e) => e.type === "stt.final");
      h.close();
    }
    h = host(createSttLogic({ engine: new ScriptedSttEngine() }), { turnId: "t1" });
  });

  it("VAD thresholds are checked when the logic is built", () => {
    expect(() => createSttLogic({ engine: new ScriptedSttEngine(), source: speechSource("client", 0, 0), vad: { threshold: 2 } })).toThrow(
      new TypeError("vad threshold must be between 0 and 1 (RMS of full scale)"),
    );
    h = host(createSttLogic({ engine: new ScriptedSttEngine() }), { turnId: "t1" });
  });

  it("the final carries what the recogniser and the detector's frames waited for busy shared engines", async () => {
    const pooled: SttEngine = {
      name: "pooled",
      async *transcribe(audio, { onQueued }) {
        onQueued?.(25);
        for await (const _chunk of audio) void _chunk;
        yield { kind: "final", text: "hello", confidence: null };
      },
      close: async () => {},
    };
    // A detector whose model made each frame wait 1.5 ms (as Silero's pool reports it).
    let pushes = 0;
    const waiting: VadProvider = {
      name: "silero",
      description: "test",
      options: { threshold: 0.5, startMs: 100, hangoverMs: 300, maxUtteranceMs: 30000 },
      create: (_format, detector) => ({
        name: "silero",
        inSpeech: false,
        reset() {},
        push() {
          pushes++;
          detector?.onFrame?.({ atMs: 0, durationMs: 32, score: 0, speech: false, queuedMs: 1.5 });
          return [];
        },
      }),
      close: async () => {},
    };
    h = host(createSttLogic({ engine: pooled, source: openSource(4), vad: waiting }), { turnId: "t1" });
    await until(() => pushes === 4, "the four chunks to reach the detector");
    h.send({ type: "audio.end" });
    expect(await h.waitFor((e) => e.type === "stt.final")).toEqual({ type: "stt.final", text: "hello", confidence: null, queuedMs: 25, vadQueuedMs: 6 });
  });
});
