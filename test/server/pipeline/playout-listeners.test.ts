/**
 * What was heard, as listeners come, go and report, over real WebSockets with
 * a playout clock the test moves: a listener that joins after the only one
 * left hears from where it joined, and the turn's heard_ms, heard_text and
 * stored memory hold what someone played, never the audio synthesised while
 * nobody listened; a listener reporting `ended` at position 0 makes nothing
 * heard (nothing stored), not the whole answer; a stalled listener (reporting
 * `playing` at 0 every second) no longer keeps a long answer speaking: the
 * turn ends after the stall bound and the next command is taken.
 */
import { describe, expect, it } from "vitest";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../../actors/memory/testing/in-memory.js";
import { aborted } from "../../../actors/sleep.js";
import { ScriptedTtsEngine } from "../../../actors/tts/testing/scripted.js";
import type { TtsEngine } from "../../../actors/tts/types.js";
import { registerMemoryCommands } from "../../../server/app/memory-commands.js";
import { DEFAULT_STALL_MS } from "../../../server/pipeline/playout.js";
import { ManualClock } from "../../helpers/clock.js";
import { TestClient } from "../../helpers/client.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { startPipeline } from "../../helpers/pipeline.js";
import { sleep, until } from "../../helpers/wait.js";

const closers = useCleanup();

/** Sentences of 25 characters: 1 s of audio each at 40 ms a character, five 200 ms chunks. */
const WORDS = ["Alpha", "Bravo", "Delta", "Hotel", "India", "Oscar", "Romeo", "Tango", "Lemon", "Mango"];
const sentence = (i: number) => `${WORDS[i % WORDS.length]} one two three four.`;
const answerOf = (n: number) => Array.from({ length: n }, (_, i) => sentence(i)).join(" ");

/** A synthesiser that starts sentence i only once the test has opened it (`openUpTo(n)` opens sentences before n). */
class GatedTts implements TtsEngine {
  readonly name = "gated";
  readonly voice = "none";
  readonly #inner = new ScriptedTtsEngine({ msPerChar: 40, chunkMs: 200 });
  readonly format = this.#inner.format;
  started = 0;
  #open: number;
  #wake = () => {};
  constructor(open: number) {
    this.#open = open;
  }
  openUpTo(n: number): void {
    this.#open = n;
    this.#wake();
  }
  async *synthesize(text: string, options: { signal: AbortSignal }): AsyncIterable<Uint8Array> {
    const index = this.started++;
    while (index >= this.#open) {
      await Promise.race([new Promise<void>((r) => (this.#wake = r)), aborted(options.signal)]);
      options.signal.throwIfAborted();
    }
    yield* this.#inner.synthesize(text, options);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

async function setup(options: { sentences: number; tts?: TtsEngine }) {
  const clock = new ManualClock();
  const memory = new InMemoryStore();
  const llm = new ScriptedLlmEngine({ answer: answerOf(options.sentences) });
  const tts = options.tts ?? new ScriptedTtsEngine({ msPerChar: 40, chunkMs: 200 });
  const { bridge, server, connect } = await startPipeline(closers, { engines: { llm, tts, memory }, playoutClock: clock, audioLeadMs: 1000 });
  registerMemoryCommands(server, memory);
  const observer = await connect("/");
  /** The memory viewer's list. */
  const list = async () => {
    const from = observer.messages.length;
    await observer.command("memory_list", {}, `l${from}`);
    const items = observer.messages.slice(from).find((m) => m.type === "memory_items")!;
    return (items.data as { items: { text: string; interrupted: boolean }[] }).items.map((i) => [i.interrupted, i.text]);
  };
  return { clock, bridge, observer, connect, list };
}

const firstAudio = (c: TestClient) => c.ofType("tts_audio")[0]?.data as { offset_ms: number } | undefined;

describe("a listener that joins after the only one left", () => {
  it("hears from where it joined; heard_ms, heard_text and memory hold only what someone played", async () => {
    const tts = new GatedTts(2);
    const { clock, bridge, observer, connect, list } = await setup({ sentences: 10, tts });
    const a = await connect("/?audio=1");
    await a.command("text_input", { text: "tell me" }, "q1");
    await until(() => a.ofType("tts_audio").length === 5 && tts.started === 3, "the first second sent, synthesis waiting at the third sentence");
    clock.advance(500); // a played half a sentence
    await a.close(); // the only listener leaves mid-answer
    await until(() => bridge.playout.consumers === 0, "the listener gone");
    tts.openUpTo(6); // four sentences synthesised while nobody listens
    await until(() => tts.started === 7, "synthesis waiting at the seventh sentence");
    await sleep(20);
    const b = await connect("/?audio=1"); // another joins at once
    tts.openUpTo(8);
    await until(() => b.ofType("tts_audio").length === 5, "b sent its first second");
    expect(firstAudio(b)!.offset_ms).toBe(6000);
    clock.advance(1000); // b played the seventh sentence
    expect((await b.command("stop_speaking", {}, "s1")).type).toBe("command_ack");
    const cut = await observer.waitForType("turn_interrupted");
    expect(cut.data).toMatchObject({ turn_id: "t1", reason: "stop", heard_ms: 1500, heard_text: "Alpha one— Romeo one two three four. —" });
    await observer.waitFor((m) => m.type === "memory_store" && m.data.turn_id === "t1");
    expect(await list()).toEqual([[true, "User: tell me\nAssistant (interrupted): Alpha one— Romeo one two three four. —"]]);
  });
});

describe("playback ended at position 0", () => {
  it("is nothing heard: the turn completes and nothing is stored as heard", async () => {
    const { observer, connect, list } = await setup({ sentences: 3 });
    const a = await connect("/?audio=1");
    await a.command("text_input", { text: "tell me" }, "q1");
    await a.waitForType("tts_result");
    await sleep(20);
    expect((await a.command("playback", { turn_id: "t1", state: "ended", position_ms: 0 }, "p1")).type).toBe("command_ack");
    await observer.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    await sleep(30);
    expect(observer.ofType("memory_store")).toEqual([]);
    expect(await list()).toEqual([]);
  });
});

describe("a stalled listener", () => {
  it("reporting `playing` at 0 every second no longer holds a 60 s answer: it ends after the stall bound and demo_flow is taken", async () => {
    const { clock, bridge, observer, connect } = await setup({ sentences: 60 });
    const a = await connect("/?audio=1");
    await a.command("text_input", { text: "tell me a long story" }, "q1");
    await until(() => a.ofType("tts_audio").length === 5, "the first second sent");
    for (let s = 1; s * 1000 <= DEFAULT_STALL_MS; s++) {
      clock.advance(1000);
      await a.command("playback", { turn_id: "t1", state: "playing", position_ms: 0 }, `p${s}`);
    }
    // Out of the playout, it no longer holds synthesis back: the rest is synthesised and the turn ends, nothing heard.
    await observer.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    expect(bridge.state()).toBe("idle");
    expect((observer.ofType("tts_result")[0]!.data as { audio_ms: number }).audio_ms).toBe(60_000);
    expect(observer.ofType("memory_store")).toEqual([]);
    // Late reports about the turn are acknowledged and ignored.
    expect((await a.command("playback", { turn_id: "t1", state: "playing", position_ms: 0 }, "late")).type).toBe("command_ack");
    expect((await a.command("demo_flow", {}, "d1")).type).toBe("command_ack");
  });
});
