/**
 * Synthesised audio for the places that play it (openAudioOutput), paced on
 * the playout clock and accounted for by tts_progress at its granularity,
 * and type-level expectations of the public API.
 */
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { createVoiceActors } from "../../../actors/index.js";
import { turnMachine } from "../../../machines/index.js";
import { createBridge, type Bridge } from "../../../server/pipeline/bridge.js";
import type { Pipeline } from "../../../server/pipeline/pipeline.js";
import type { AudioOut } from "../../../server/pipeline/playout.js";
import type { EventData } from "../../../server/protocol/index.js";
import { ManualClock } from "../../helpers/clock.js";
import { client, createFixture, type Fixture } from "./bridge-fixture.js";

let fx: Fixture;
afterEach(async () => {
  await fx?.close();
});

const progressOf = (fx: Fixture) => fx.events.filter((e) => e.type === "tts_progress").map((e) => e.data as EventData<"tts_progress">);

describe("openAudioOutput", () => {
  it("delivers every chunk of the answer in order, paced to the lead, and tts_progress covers exactly those chunks", async () => {
    const clock = new ManualClock();
    fx = createFixture({ llm: { answer: "One sentence. And another one." }, tts: { msPerChar: 40, chunkMs: 100 }, playoutClock: clock, audioLeadMs: 300 });
    const chunks: AudioOut[] = [];
    const out = fx.bridge.openAudioOutput("listener", { send: (c) => chunks.push(c) });
    fx.bridge.dispatch({ type: "text_input", data: { text: "speak" } }, client);
    await fx.waitFor((e) => e.type === "tts_result");
    // 1.2 s of audio synthesised, 300 ms of it sent: the listener has heard nothing yet.
    expect(chunks.map((c) => c.chunkIndex)).toEqual([0, 1, 2]);
    clock.advance(100);
    expect(chunks.map((c) => c.chunkIndex)).toEqual([0, 1, 2, 3]);
    clock.advance(5000);
    const progress = progressOf(fx);
    expect(chunks.map((c) => c.chunkIndex)).toEqual(Array.from({ length: chunks.length }, (_, i) => i));
    expect(progress.map((p) => p.sentence_index)).toEqual([0, 1]);
    expect(progress.reduce((n, p) => n + p.chunks, 0)).toBe(chunks.length);
    expect(progress.reduce((n, p) => n + p.bytes, 0)).toBe(chunks.reduce((n, c) => n + c.pcm.byteLength, 0));
    expect(progress.map((p) => p.chunk_index)).toEqual([0, progress[0]!.chunks]);
    // Back to back on the turn's timeline.
    expect(chunks.slice(1).map((c) => c.offsetMs)).toEqual(chunks.slice(0, -1).map((c) => c.offsetMs + c.audioMs));
    out.close();
  });

  it("tts_progress per N ms of audio when configured", async () => {
    fx = createFixture({ llm: { answer: "A sentence of some length here." }, tts: { msPerChar: 20, chunkMs: 100 }, ttsProgressMs: 250 });
    fx.bridge.dispatch({ type: "text_input", data: { text: "speak" } }, client);
    await fx.waitFor((e) => e.type === "tts_result");
    const progress = progressOf(fx);
    // 31 chars * 20 ms = 620 ms in 100 ms chunks: 300, 300, then the sentence's last 20 ms.
    expect(progress.map((p) => [p.chunk_index, p.chunks, p.audio_ms])).toEqual([
      [0, 3, 300],
      [3, 3, 300],
      [6, 1, 20],
    ]);
  });
});

describe("public types", () => {
  it("createBridge returns a Pipeline with audio in and out", () => {
    expectTypeOf(createBridge).returns.toEqualTypeOf<Bridge>();
    expectTypeOf<Bridge>().toMatchTypeOf<Pipeline>();
    expectTypeOf<Bridge["pushAudio"]>().toBeFunction();
    // The stage actors fill the turn machine's slots (withStageActors puts them there).
    expectTypeOf(turnMachine.provide({ actors: createVoiceActors({} as Parameters<typeof createVoiceActors>[0]) })).toMatchTypeOf<typeof turnMachine>();
  });
});
