/**
 * What was heard is what is remembered, over a real WebSocket with the real
 * SQLite memory (a temp database) and a playout clock the test moves: an
 * answer stopped or barged in mid-playout is stored with the heard text
 * only, marked interrupted (memory_store, memory_list, and the next turn's
 * recall all say so); an answer cut before any of it was heard stores
 * nothing; a cut while the finished turn is being stored neither loses nor
 * doubles it; and a server stop keeps the heard part of a cut answer, never
 * waiting past the memory deadline.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ScriptedLlmEngine, type ScriptedLlmOptions } from "../../../actors/llm/testing/scripted.js";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import type { MemoryStore } from "../../../actors/memory/types.js";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../../../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../../../actors/tts/testing/scripted.js";
import { createBridge } from "../../../server/pipeline/bridge.js";
import { registerMemoryCommands } from "../../../server/app/memory-commands.js";
import { tempDir } from "../../helpers/temp-dir.js";
import { ManualClock } from "../../helpers/clock.js";
import { TestClient } from "../../helpers/client.js";
import { sleep } from "../../helpers/wait.js";
import { startServer } from "../../helpers/server.js";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

// Three sentences of about 1 s of audio each (25, 25 and 24 chars at 40 ms a char), in 200 ms chunks.
const ANSWER = "The first sentence is it. The second sentence, two. A third one is here now.";

interface Setup {
  llm?: ScriptedLlmOptions;
  /** Wrap the SQLite store (a slow or stuck store). */
  wrap?: (store: SqliteMemoryStore) => MemoryStore;
  memoryMs?: number;
}

async function setup(options: Setup = {}) {
  const clock = new ManualClock();
  const tmp = tempDir();
  closers.push(tmp.remove);
  const path = tmp.file();
  const sqlite = new SqliteMemoryStore({ path });
  const memory = options.wrap ? options.wrap(sqlite) : sqlite;
  const llm = new ScriptedLlmEngine({ answer: ANSWER, ...options.llm });
  const bridge = createBridge({
    engines: { stt: new ScriptedSttEngine(), llm, tts: new ScriptedTtsEngine({ msPerChar: 40, chunkMs: 200 }), memory, tools: new FakeToolRunner() },
    playoutClock: clock,
    audioLeadMs: 1000,
    ...(options.memoryMs ? { machine: { deadlines: { memoryMs: options.memoryMs } } } : {}),
  });
  closers.push(() => bridge.stop());
  const server = await startServer({ pipeline: bridge });
  registerMemoryCommands(server, memory);
  closers.push(() => server.stop());
  const listener = await TestClient.connect(`${server.wsUrl}/?audio=1`);
  closers.push(() => listener.close());
  await listener.waitForType("replay");
  /** The memory viewer's list, newest first. */
  const list = async () => {
    const from = listener.messages.length;
    await listener.command("memory_list", {}, `l${from}`);
    const items = listener.messages.slice(from).find((m) => m.type === "memory_items");
    return (items!.data as { items: { kind: string; text: string; turn_id: string | null; interrupted: boolean }[] }).items;
  };
  /** Ask, and wait until the whole answer is synthesised (nothing of it heard yet: the clock stands still). */
  const ask = async (text: string, id: string) => {
    await listener.command("text_input", { text }, id);
    await listener.waitFor((m) => m.type === "tts_result");
    await sleep(20);
  };
  return { clock, llm, bridge, listener, list, ask, path, sqlite, wsUrl: server.wsUrl };
}

/** A store that delegates to `store`, with `storeTurn` replaced (a slow or stuck store). */
function withStoreTurn(store: SqliteMemoryStore, storeTurn: MemoryStore["storeTurn"]): MemoryStore {
  return {
    name: store.name,
    storeTurn,
    recall: (q, o) => store.recall(q, o),
    remember: (f) => store.remember(f),
    list: (o) => store.list(o),
    forget: (id) => store.forget(id),
    close: () => store.close(),
  };
}

const index = (c: TestClient, pred: (m: TestClient["messages"][number]) => boolean) => c.messages.findIndex(pred);

describe("an interrupted answer is remembered as heard", () => {
  it("stop_speaking 1.5 s into playout stores the heard text only, marked interrupted, and the next recall sees it cut", async () => {
    const { clock, llm, listener, list, ask } = await setup();
    await ask("talk about sentences", "q1");
    clock.advance(1500); // the first sentence and half of the second heard
    expect((await listener.command("stop_speaking", {}, "s1")).type).toBe("command_ack");
    const stored = await listener.waitForType("memory_store");
    expect(stored.data).toMatchObject({ turn_id: "t1", kind: "turn", interrupted: true });
    expect(stored.data.preview).toMatch(/^User: talk about sentences\nAssistant \(interrupted\): The first sentence is it\. T/);
    // Stored after the cut: its memory_store follows turn_interrupted.
    expect(index(listener, (m) => m.type === "memory_store")).toBeGreaterThan(index(listener, (m) => m.type === "turn_interrupted"));

    const items = await list();
    expect(items).toEqual([
      expect.objectContaining({
        kind: "turn",
        turn_id: "t1",
        interrupted: true,
        text: "User: talk about sentences\nAssistant (interrupted): The first sentence is it. The second—",
      }),
    ]);
    expect(items[0]!.text).not.toContain("third");

    // The next turn recalls it for what it is: an answer cut where the listener stopped hearing it.
    await listener.command("text_input", { text: "what was the second sentence?" }, "q2");
    const recall = await listener.waitFor((m) => m.type === "memory_recall" && m.data.turn_id === "t2");
    expect((recall.data as { hits: { preview: string }[] }).hits.map((h) => h.preview)).toEqual([expect.stringContaining("Assistant (interrupted): The first")]);
    await listener.waitFor((m) => m.type === "llm_result" && m.data.turn_id === "t2");
    const system = llm.requests[1]!.messages[0]!;
    expect(system.content).toContain("Assistant (interrupted): The first sentence is it. The second—");
    expect(system.content).not.toContain("third");
  });

  it("the only audio client leaving 1.5 s into playout: the turn completes, remembering and keeping only what was heard", async () => {
    const { clock, llm, bridge, listener, ask, wsUrl } = await setup();
    const observer = await TestClient.connect(`${wsUrl}/`);
    closers.push(() => observer.close());
    await observer.waitForType("replay");
    await ask("talk about sentences", "q1");
    clock.advance(1500); // the first sentence and half of the second heard
    await listener.close();
    const stored = await observer.waitFor((m) => m.type === "memory_store" && m.data.turn_id === "t1");
    expect(stored.data).toMatchObject({ kind: "turn", interrupted: true });
    expect((stored.data as { preview: string }).preview).toMatch(/^User: talk about sentences\nAssistant \(interrupted\): The first sentence is it\. T/);
    await observer.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    // Nobody cut it: the turn ended on its own, not interrupted.
    expect(observer.messages.filter((m) => m.type === "turn_interrupted")).toEqual([]);
    expect(bridge.state()).toBe("idle");
    const from = observer.messages.length;
    await observer.command("memory_list", {}, "l1");
    const items = (observer.messages.slice(from).find((m) => m.type === "memory_items")!.data as { items: { text: string; interrupted: boolean }[] }).items;
    expect(items).toEqual([expect.objectContaining({ interrupted: true, text: "User: talk about sentences\nAssistant (interrupted): The first sentence is it. The second—" })]);
    // The next model call sees the answer as far as it was heard, marked cut, not the unspoken rest.
    await observer.command("text_input", { text: "go on" }, "q2");
    await observer.waitFor((m) => m.type === "llm_result" && m.data.turn_id === "t2");
    const history = llm.requests[1]!.messages.slice(1);
    expect(history.find((m) => m.role === "assistant")).toMatchObject({ content: "The first sentence is it. The second—", cut: true });
    expect(JSON.stringify(history)).not.toContain("third");
  });

  it("the only audio client leaving before the first word was heard: the turn completes and nothing is stored", async () => {
    const { listener, ask, wsUrl } = await setup();
    const observer = await TestClient.connect(`${wsUrl}/`);
    closers.push(() => observer.close());
    await observer.waitForType("replay");
    await ask("talk about sentences", "q1"); // synthesised, nothing played yet: the clock stands still
    await listener.close();
    await observer.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    expect(observer.messages.filter((m) => m.type === "turn_interrupted" || m.type === "memory_store" || m.type === "memory_error")).toEqual([]);
    const from = observer.messages.length;
    await observer.command("memory_list", {}, "l1");
    expect((observer.messages.slice(from).find((m) => m.type === "memory_items")!.data as { items: unknown[] }).items).toEqual([]);
  });

  it("a barge-in by text_input 1 s into playout stores the heard part of the cut turn and the next turn as a whole, once each", async () => {
    const { clock, listener, list, ask } = await setup();
    await ask("talk", "q1");
    clock.advance(1000); // exactly the first sentence
    expect((await listener.command("text_input", { text: "enough, something else" }, "q2")).type).toBe("command_ack");
    const cut = await listener.waitForType("turn_interrupted");
    expect(cut.data).toMatchObject({ turn_id: "t1", reason: "barge_in", by: "t2", heard_text: "The first sentence is it. —" });
    await listener.waitFor((m) => m.type === "memory_store" && m.data.turn_id === "t1");
    // The new turn plays out to its end and is stored whole, by its own remembering.
    await listener.waitFor((m) => m.type === "tts_result" && m.data.turn_id === "t2");
    await sleep(20);
    clock.advance(10_000);
    await listener.waitFor((m) => m.type === "memory_store" && m.data.turn_id === "t2");
    expect(listener.ofType("memory_store").map((m) => [m.data.turn_id, m.data.interrupted])).toEqual([
      ["t1", true],
      ["t2", false],
    ]);
    expect((await list()).map((i) => [i.turn_id, i.interrupted, i.text])).toEqual([
      ["t2", false, `User: enough, something else\nAssistant: ${ANSWER}`],
      ["t1", true, "User: talk\nAssistant (interrupted): The first sentence is it. —"],
    ]);
  });

  it("an answer cut before any of it was heard stores nothing (the user's words stay in the history)", async () => {
    const { listener, list, ask, llm } = await setup();
    // Synthesised and sent, but the clock has not moved: nothing heard.
    await ask("talk", "q1");
    await listener.command("stop_speaking", {}, "s1");
    const cut = await listener.waitForType("turn_interrupted");
    expect(cut.data).toMatchObject({ turn_id: "t1", heard_ms: 0, state: "speaking" });
    await listener.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    await sleep(30);
    expect(listener.ofType("memory_store")).toEqual([]);
    expect(listener.ofType("memory_error")).toEqual([]);
    expect(await list()).toEqual([]);
    // The next model call still sees the question.
    await listener.command("text_input", { text: "again" }, "q2");
    await listener.waitFor((m) => m.type === "llm_result" && m.data.turn_id === "t2");
    expect(llm.requests[1]!.messages.filter((m) => m.role === "user").map((m) => m.content)).toEqual(["talk", "again"]);
  });

  it("an answer cut while still thinking (its text never spoken) stores nothing", async () => {
    const { listener, list } = await setup({ llm: { hangAfterTokens: 3 } });
    await listener.command("text_input", { text: "talk" }, "q1");
    await listener.waitFor((m) => m.type === "llm_progress" && m.data.index === 2);
    await listener.command("stop_speaking", {}, "s1");
    const cut = await listener.waitForType("turn_interrupted");
    expect(cut.data).toMatchObject({ turn_id: "t1", state: "thinking", heard_text: "" });
    await sleep(30);
    expect(listener.ofType("memory_store")).toEqual([]);
    expect(await list()).toEqual([]);
  });

  it("a cut while the finished turn is being stored neither loses it nor stores it twice", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let stores = 0;
    const { clock, listener, list, ask } = await setup({
      memoryMs: 60_000,
      // The store of the finished turn waits for the test: the turn sits in `remembering`.
      wrap: (store) =>
        withStoreTurn(store, async (turn) => {
          stores += 1;
          await gate;
          return store.storeTurn(turn);
        }),
    });
    await ask("talk", "q1");
    clock.advance(10_000); // heard to the end: the turn stores itself
    await listener.waitFor((m) => m.type === "state_change" && m.data.path === "speaking" && m.data.state === "speaking");
    for (let i = 0; i < 50 && stores === 0; i++) await sleep(5);
    expect(stores).toBe(1);
    await listener.command("text_input", { text: "next" }, "q2");
    await listener.waitFor((m) => m.type === "turn_interrupted" && m.data.turn_id === "t1");
    release();
    await listener.waitFor((m) => m.type === "llm_result" && m.data.turn_id === "t2");
    await sleep(30);
    // Stored once, whole (it was heard to its end), not as an interrupted answer.
    expect(stores).toBe(1);
    expect((await list()).filter((i) => i.turn_id === "t1")).toEqual([expect.objectContaining({ interrupted: false, text: `User: talk\nAssistant: ${ANSWER}` })]);
  });
});

describe("server stop", () => {
  it("stores the heard part of the answer it cuts before the store closes", async () => {
    const { clock, bridge, listener, ask, path } = await setup();
    await ask("talk", "q1");
    clock.advance(1500);
    await bridge.stop();
    await listener.waitFor((m) => m.type === "turn_interrupted" && m.data.reason === "shutdown");
    await listener.waitFor((m) => m.type === "memory_store" && m.data.turn_id === "t1");
    // The store was closed by the stop; the file holds the heard answer.
    const reopened = new SqliteMemoryStore({ path });
    closers.push(() => reopened.close());
    expect((await reopened.list()).map((i) => [i.turnId, i.interrupted, i.text])).toEqual([["t1", true, "User: talk\nAssistant (interrupted): The first sentence is it. The second—"]]);
  });

  it("never waits past the memory deadline for a store that does not answer", async () => {
    const { clock, bridge, listener, ask } = await setup({
      memoryMs: 50,
      wrap: (store) => withStoreTurn(store, () => new Promise(() => {})),
    });
    await ask("talk", "q1");
    clock.advance(1500);
    await bridge.stop();
    expect(bridge.state()).toBe("stopped");
    expect(bridge.actor.getSnapshot().status).toBe("done");
    const failed = await listener.waitFor((m) => m.type === "memory_error" && m.data.turn_id === "t1");
    expect(failed.data).toMatchObject({ operation: "store", code: "timeout" });
  });
});
