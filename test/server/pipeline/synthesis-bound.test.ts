/**
 * The synthesis bound over a real WebSocket, on a playout clock the test
 * moves: a long answer to an audio client that never reports playback is
 * synthesised only so far ahead of what that client was sent; the turn
 * waits in `speech.held` (no synthesis deadline runs there) and goes on as
 * the clock advances; the whole answer arrives, in order; a stop while
 * held ends the turn at once; the bytes the playout holds stay within the
 * bound; with no audio client there is nothing to wait for. Scripted
 * synthesis for exact figures, then the real Flite engine on a joke.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../../../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../../../actors/tts/testing/scripted.js";
import { FliteTts } from "../../../actors/tts/flite.js";
import type { TtsEngine } from "../../../actors/tts/types.js";
import { createBridge, type Bridge } from "../../../server/pipeline/bridge.js";
import { ManualClock } from "../../helpers/clock.js";
import { TestClient } from "../../helpers/client.js";
import { sleep } from "../../helpers/wait.js";
import { startServer } from "../../helpers/server.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

// 20 sentences of 35 characters: 1400 ms of audio each at 40 ms a character (seven 200 ms chunks), 28 s in all.
const SENTENCE = "This is one sentence of the answer.";
const SENTENCES = 20;
const ANSWER = Array.from({ length: SENTENCES }, () => SENTENCE).join(" ");
const SENTENCE_MS = 1400;
const LEAD_MS = 1000;
const BOUND_MS = 4000;
/** 16 kHz 16-bit mono. */
const BYTES_PER_MS = 32;
const TTS_DEADLINE_MS = 500;

/** A scripted synthesiser: 40 ms of audio a character, in 200 ms chunks. */
const scriptedTts = () => new ScriptedTtsEngine({ msPerChar: 40, chunkMs: 200 });

async function setup(tts: TtsEngine, o: { audioClient?: boolean; answer?: string; ttsMs?: number } = {}) {
  const clock = new ManualClock();
  const bridge = createBridge({
    engines: { stt: new ScriptedSttEngine(), llm: new ScriptedLlmEngine({ answer: o.answer ?? ANSWER }), tts, memory: new InMemoryStore(), tools: new FakeToolRunner() },
    machine: { deadlines: { ttsMs: o.ttsMs ?? TTS_DEADLINE_MS } },
    playoutClock: clock,
    audioLeadMs: LEAD_MS,
    synthesisAheadMs: BOUND_MS,
  });
  closers.push(() => bridge.stop());
  const server = await startServer({ pipeline: bridge });
  closers.push(() => server.stop());
  const client = await TestClient.connect(`${server.wsUrl}/${o.audioClient === false ? "" : "?audio=1"}`);
  closers.push(() => client.close());
  await client.waitForType("replay");
  return { clock, bridge, client };
}

const speechState = (bridge: Bridge) => bridge.actor.getSnapshot().children.turn?.getSnapshot().value;
const isHeld = (bridge: Bridge) => bridge.actor.getSnapshot().children.turn?.getSnapshot().matches({ answering: { speech: "held" } }) ?? false;
const audioEvents = (c: TestClient) => c.ofType("tts_audio").map((m) => m.data as { turn_id: string; chunk_index: number; sentence_index: number; offset_ms: number; audio_ms: number; bytes: number });

describe("the synthesis bound", () => {
  it("stops synthesis at the bound, resumes as playout catches up, and delivers the whole answer in order", async () => {
    const tts = scriptedTts();
    const { clock, bridge, client } = await setup(tts);
    expect((await client.command("text_input", { text: "tell me a long story" }, "q1")).type).toBe("command_ack");
    await vi.waitFor(() => expect(isHeld(bridge)).toBe(true), { timeout: 5000, interval: 5 });

    // Nothing heard yet (the clock has not moved): 1 s sent to the client, synthesis stopped once 4 s waited behind it.
    // Sentences 1-4 are 5.6 s: the 4th reached the bound and was finished; the 5th waits.
    expect(tts.calls.map((c) => c.completed)).toEqual([true, true, true, true]);
    expect(audioEvents(client).reduce((ms, a) => ms + a.audio_ms, 0)).toBe(LEAD_MS);
    expect(client.ofType("tts_progress").length).toBeLessThanOrEqual(4);
    expect(bridge.playout.bufferedBytes()).toBe((4 * SENTENCE_MS - LEAD_MS) * BYTES_PER_MS);

    // Held longer than the synthesis deadline: no timeout, still held, nothing more synthesised.
    await sleep(TTS_DEADLINE_MS * 2);
    expect(isHeld(bridge)).toBe(true);
    expect(tts.calls.length).toBe(4);
    expect(client.ofType("tts_error")).toEqual([]);
    expect(bridge.state()).toBe("speaking");

    // Play on: synthesis resumes as the client is sent more, never holding more than the bound plus one sentence.
    const ceiling = (BOUND_MS + SENTENCE_MS) * BYTES_PER_MS;
    let peak = 0;
    for (let step = 0; step < 400 && bridge.state() !== "idle"; step++) {
      clock.advance(100);
      await sleep(2);
      peak = Math.max(peak, bridge.playout.bufferedBytes());
    }
    await client.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    expect(peak).toBeLessThanOrEqual(ceiling);
    expect(peak).toBeGreaterThan(0);
    expect(bridge.playout.bufferedBytes()).toBe(0);

    // The whole answer, each sentence once, every frame in order and back to back.
    expect(tts.calls.map((c) => c.text)).toEqual(Array.from({ length: SENTENCES }, () => SENTENCE));
    const frames = audioEvents(client);
    expect(frames.map((f) => f.chunk_index)).toEqual(Array.from({ length: SENTENCES * 7 }, (_, i) => i));
    expect(frames.map((f) => f.sentence_index)).toEqual(Array.from({ length: SENTENCES * 7 }, (_, i) => Math.floor(i / 7)));
    frames.forEach((f, i) => expect(f.offset_ms).toBe(i === 0 ? 0 : frames[i - 1]!.offset_ms + frames[i - 1]!.audio_ms));
    const result = client.ofType("tts_result")[0]!.data as { audio_ms: number; sentences: number; interrupted: boolean };
    expect(result).toMatchObject({ audio_ms: SENTENCES * SENTENCE_MS, sentences: SENTENCES, interrupted: false });
    expect(client.binary.reduce((n, b) => n + b.byteLength, 0)).toBe(SENTENCES * SENTENCE_MS * BYTES_PER_MS);
    expect(client.ofType("tts_error")).toEqual([]);
    expect(client.ofType("turn_interrupted")).toEqual([]);
    expect(client.ofType("state_change").map((m) => m.data.state)).toEqual(["thinking", "speaking", "idle"]);
  });

  it("stop_speaking while held ends the turn at once and synthesises nothing more", async () => {
    const tts = scriptedTts();
    const { clock, bridge, client } = await setup(tts);
    await client.command("text_input", { text: "tell me a long story" }, "q1");
    await vi.waitFor(() => expect(isHeld(bridge)).toBe(true), { timeout: 5000, interval: 5 });
    clock.advance(600);
    const ack = await client.command("stop_speaking", {}, "s1");
    expect(ack).toMatchObject({ type: "command_ack", data: { id: "s1", command: "stop_speaking" } });
    const cut = await client.waitForType("turn_interrupted");
    expect(cut.data).toMatchObject({ turn_id: "t1", reason: "stop", state: "speaking", heard_ms: 600 });
    await client.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    expect(client.ofType("tts_result").map((m) => m.data)).toEqual([expect.objectContaining({ sentences: 4, interrupted: true })]);
    expect(bridge.playout.bufferedBytes()).toBe(0);
    // However far the clock goes, nothing more is synthesised or sent.
    const frames = audioEvents(client).length;
    clock.advance(60_000);
    await sleep(TTS_DEADLINE_MS);
    expect(tts.calls.length).toBe(4);
    expect(audioEvents(client).length).toBe(frames);
    expect(speechState(bridge)).toBeUndefined();
  });

  it("with no audio client, synthesises the whole answer at once and holds no audio", async () => {
    const tts = scriptedTts();
    const { bridge, client } = await setup(tts, { audioClient: false });
    await client.command("text_input", { text: "tell me a long story" }, "q1");
    await client.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    expect(tts.calls.length).toBe(SENTENCES);
    expect(client.ofType("tts_result")[0]!.data).toMatchObject({ sentences: SENTENCES, interrupted: false });
    expect(bridge.playout.bufferedBytes()).toBe(0);
  });
});

describe("the synthesis bound with the real Flite engine", () => {
  // A long answer in sentences of different lengths, as a model would write it.
  const JOKE = [
    "A man walks into a library and asks the librarian for books about paranoia.",
    "She whispers that they are right behind him.",
    "He turns around slowly, but there is nobody there.",
    "So he asks again, a little louder this time.",
    "The librarian sighs and points at the shelf behind him.",
    "He still sees nothing but a wall of old encyclopedias.",
    "Finally he leaves, convinced that the books are hiding from him.",
    "The librarian smiles, because that shelf is empty on purpose.",
    "It is the only joke she has ever told.",
    "And she has been telling it for thirty years.",
  ].join(" ");

  it("holds at the bound, resumes with playout and delivers every sentence in order", async () => {
    const flite = new FliteTts({ chunkMs: 100, startTimeoutMs: 60_000 });
    closers.push(() => flite.close());
    await flite.start();
    const { clock, bridge, client } = await setup(flite, { answer: JOKE, ttsMs: 30_000 });
    await client.command("text_input", { text: "tell me a joke" }, "q1");
    await vi.waitFor(() => expect(isHeld(bridge)).toBe(true), { timeout: 60_000, interval: 10 });
    const heldAt = client.ofType("tts_progress").length;
    expect(bridge.playout.aheadMs("t1")).toBeGreaterThanOrEqual(BOUND_MS);
    let peak = bridge.playout.bufferedBytes();
    for (let step = 0; step < 1000 && bridge.state() !== "idle"; step++) {
      clock.advance(100);
      await sleep(5);
      peak = Math.max(peak, bridge.playout.bufferedBytes());
    }
    await client.waitFor((m) => m.type === "state_change" && m.data.state === "idle", { timeoutMs: 60_000 });
    const frames = audioEvents(client);
    const sentences = new Map<number, number>();
    for (const f of frames) sentences.set(f.sentence_index, (sentences.get(f.sentence_index) ?? 0) + f.audio_ms);
    expect([...sentences.keys()]).toEqual(Array.from({ length: 10 }, (_, i) => i));
    // Held before the answer was synthesised: the joke is about 30 s of speech.
    expect(heldAt).toBeLessThan(10);
    expect(peak).toBeLessThanOrEqual((BOUND_MS + Math.max(...sentences.values())) * BYTES_PER_MS);
    expect(frames.map((f) => f.chunk_index)).toEqual(frames.map((_, i) => i));
    frames.forEach((f, i) => expect(f.offset_ms).toBeCloseTo(i === 0 ? 0 : frames[i - 1]!.offset_ms + frames[i - 1]!.audio_ms, 2));
    expect(client.binary.reduce((n, b) => n + b.byteLength, 0)).toBe(frames.reduce((n, f) => n + f.bytes, 0));
    expect(client.ofType("tts_result")[0]!.data).toMatchObject({ sentences: 10, interrupted: false });
    expect(client.ofType("tts_error")).toEqual([]);
  }, 180_000);
});
