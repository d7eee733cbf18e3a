/**
 * Synthesised audio for clients that want to hear it (subscribeAudio), in
 * step with tts_progress, and type-level expectations of the public API.
 */
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { createVoiceActors } from "../../actors/index.js";
import { turnMachine } from "../../machines/index.js";
import { createBridge, type Bridge } from "../../server/bridge.js";
import type { AudioChunkOut, Pipeline } from "../../server/pipeline.js";
import { client, createFixture, type Fixture } from "./bridge-fixture.js";

let fx: Fixture;
afterEach(async () => {
  await fx?.close();
});

describe("subscribeAudio", () => {
  it("delivers each chunk's PCM after its tts_progress, with the same turn and chunk index", async () => {
    fx = createFixture({ llm: { answer: "One sentence. And another one." }, tts: { msPerChar: 20, chunkMs: 100 } });
    const chunks: AudioChunkOut[] = [];
    const order: string[] = [];
    fx.bridge.subscribe((e) => e.type === "tts_progress" && order.push(`p${e.data.chunk_index}`));
    const off = fx.bridge.subscribeAudio((c) => (chunks.push(c), order.push(`a${c.chunkIndex}`)));
    fx.bridge.dispatch({ type: "text_input", data: { text: "speak" } }, client);
    await fx.waitForState("idle");
    off();
    const progress = fx.events.filter((e) => e.type === "tts_progress").map((e) => e.data as { chunk_index: number; bytes: number; turn_id: string });
    expect(chunks.map((c) => [c.turnId, c.chunkIndex, c.pcm.byteLength])).toEqual(progress.map((p) => [p.turn_id, p.chunk_index, p.bytes]));
    expect(order).toEqual(progress.flatMap((p) => [`p${p.chunk_index}`, `a${p.chunk_index}`]));
    expect(chunks.length).toBeGreaterThan(2);
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
