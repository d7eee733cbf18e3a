/**
 * The typed client's restored conversation: a client that connects after
 * four turns (a tool call, a memory, a long answer, an interrupted answer)
 * has them in `client.conversation` from the replay alone, as a client that
 * watched them live has them; it keeps up with live turns; after a drop it
 * resumes from the replay's last_seq without taking back progress the
 * replay had folded. With several clients, a question another client's
 * took over says, on each client and on a client joining late, whose it
 * was, whose command took it over and that it was not answered.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { CodaClient, ConversationTurn } from "../../../server/client/index.js";
import { startCoda, type CodaFixture } from "./fixture.js";
import { useServers } from "../../helpers/server.js";
import { newClient, next, record } from "./helpers.js";
import { until } from "../../helpers/wait.js";
import { startProxy, type TcpProxy } from "./proxy.js";
import { hangingOn } from "../../helpers/llm.js";
import { Conversation } from "../../../server/client/index.js";

let fixture: CodaFixture | undefined;
let proxy: TcpProxy | undefined;
const { track, trackClient } = useServers();

function client(url: string, options: Parameters<typeof newClient>[1] = {}): CodaClient {
  return trackClient(newClient(url, options));
}

async function turnEnds(c: CodaClient, action: () => Promise<unknown>): Promise<void> {
  const done = next(c, "latency_trace", 60_000);
  await action();
  await done;
}

/** What a person reads of a turn. */
const view = (t: ConversationTurn) => ({
  user: t.user,
  assistant: t.assistant,
  status: t.status,
  tools: t.tools.map((x) => `${x.name} -> ${x.result ?? x.error?.code}`),
  stored: t.memory.stored.map((m) => m.kind),
  interruption: t.interruption?.reason ?? null,
  heard: t.heard,
  latency: t.latency !== null,
});

const LONG_FACTS = [
  "remember that my favourite joke goes like this. A horse walks into a bar and sits down. The barman looks at it for a long while and asks, why the long face? " +
    "The horse says nothing at all, because horses cannot talk. Everyone in the bar laughs anyway, and the horse orders a glass of water and leaves a generous tip.",
  "remember that my second favourite joke is about a penguin. The penguin walks into a shop and asks for a fish. The shopkeeper says they only sell hats. " +
    "The penguin buys a hat, puts it on, and says that now it looks like a gentleman. Then it walks out without paying, because penguins carry no money.",
] as const;

describe("CodaClient.conversation", () => {
  it("a question another client's took over: every client, and one joining late, has whose it was, whose took over and what it got", async () => {
    fixture = track(await startCoda({ wordDelayMs: 0, llm: hangingOn(/story/, "12 * 7 is 84.") }));
    const asker = client(fixture.wsUrl);
    const other = client(fixture.wsUrl);
    await Promise.all([asker.connect(), other.connect()]);
    const thinking = next(asker, "llm_start");
    await asker.textInput("tell me a long story");
    await thinking;
    const answered = new Promise<void>((resolve) => asker.on("latency_trace", (e) => e.data.turn_id === "t2" && resolve()));
    await other.textInput("what is 12 times 7");
    await answered;
    const late = client(fixture.wsUrl);
    await late.connect();
    for (const c of [asker, other, late]) {
      const [cut, answered] = c.conversation.turns;
      expect(cut).toMatchObject({ id: "t1", user: "tell me a long story", status: "interrupted", assistant: "" });
      expect(cut!.interruption).toEqual({ reason: "barge_in", state: "thinking", by: "t2", outcome: "unanswered", client: asker.clientId, byClient: other.clientId });
      expect(answered).toMatchObject({ id: "t2", user: "what is 12 times 7", status: "completed", assistant: "12 * 7 is 84." });
    }
    expect(asker.clientId).not.toBe(other.clientId);
  }, 60_000);

  it("a typed question cut before its recall named it: the cut says what it was", () => {
    const c = new Conversation();
    const at = "2026-05-01T12:00:00.000Z";
    c.apply({ type: "state_change", data: { state: "thinking", previous: "idle", path: "thinking.recalling", turn_id: "t1", mode: null }, timestamp: at, seq: 1 });
    c.apply({
      type: "turn_interrupted",
      data: { turn_id: "t1", reason: "barge_in", state: "thinking", outcome: "unanswered", client: "c1", question: "tell me a story", by: "t2", by_client: "c2", heard_ms: 0, heard_text: "" },
      timestamp: at,
      seq: 2,
    });
    expect(c.turn("t1")).toMatchObject({ user: "tell me a story", userFinal: true, status: "interrupted", interruption: { outcome: "unanswered", client: "c1", byClient: "c2" } });
  });

  it("a client joining late has the turns it never saw, as a client that watched them", async () => {
    fixture = track(await startCoda({ wordDelayMs: 0, tts: { msPerChar: 60, chunkMs: 100, chunkDelayMs: 3, sound: "silence" } }));
    const watcher = client(fixture.wsUrl);
    await watcher.connect();
    await turnEnds(watcher, () => watcher.textInput("what is 12 times 7"));
    await turnEnds(watcher, () => watcher.textInput("remember that my sister is called Ana"));
    // Long answers of several sentences: the built-in responder says back a long fact it was asked to remember.
    await turnEnds(watcher, () => watcher.textInput(LONG_FACTS[0]));
    // A long answer cut a few chunks into its speech.
    await turnEnds(watcher, async () => {
      const speaking = next(watcher, "tts_progress");
      await watcher.textInput(LONG_FACTS[1]);
      await speaking;
      await watcher.stopSpeaking();
    });

    const late = client(fixture.wsUrl);
    const rec = record(late);
    await late.connect();
    const turns = late.conversation.turns;
    expect(turns.map(view)).toEqual(watcher.conversation.turns.map(view));
    expect(turns.map((t) => t.user)).toEqual(["what is 12 times 7", "remember that my sister is called Ana", ...LONG_FACTS]);
    expect(view(turns[0]!)).toMatchObject({ assistant: "12 * 7 is 84.", status: "completed", tools: [expect.stringMatching(/^calculate -> .*"result":"84"/)], latency: true });
    expect(turns[1]!.tools.map((t) => t.name)).toEqual(["remember"]);
    expect(turns[1]!.memory.stored.some((m) => m.preview.includes("Ana"))).toBe(true);
    expect(turns[2]!.assistant.length).toBeGreaterThan(300);
    expect(turns[2]!.speech).toMatchObject({ interrupted: false });
    expect(view(turns[3]!)).toMatchObject({ status: "interrupted", interruption: "stop" });
    // What was heard before the stop, as turn_interrupted said it (the answer itself is what was generated).
    const cut = watcher.conversation.turns[3]!;
    expect(turns[3]!.heard).toEqual(cut.heard);
    expect(turns[3]!.heard!.text).toMatch(/\S/);
    expect(turns[3]!.heard!.ms).toBeGreaterThan(0);
    expect(turns.slice(0, 3).map((t) => t.heard)).toEqual([null, null, null]);
    // The model had finished: what was cut is the playout of its answer, so generation ended normally.
    expect(turns[3]!.finishReason).toBe("stop");
    // Built from results: the replay held no progress of these finished turns.
    expect(rec.events.filter((e) => /_progress$/.test(e.event.type))).toEqual([]);
    expect(late.lastSeq).toBe(fixture.server.lastSeq);

    // Live turns join the same conversation.
    await turnEnds(late, () => late.textInput("what is 2 plus 2"));
    expect(late.conversation.turns.at(-1)).toMatchObject({ user: "what is 2 plus 2", assistant: "2 + 2 is 4.", status: "completed" });
  }, 120_000);

  it("gives snapshots: a turn an event changes is a new object, the others keep theirs, and none changes under its holder", async () => {
    fixture = track(await startCoda({ wordDelayMs: 0 }));
    const c = client(fixture.wsUrl);
    await c.connect();
    let traced: unknown;
    c.on("latency_trace", (e) => (traced = e.data));
    await turnEnds(c, () => c.textInput("what is 12 times 7"));
    const first = c.conversation.turns[0]!;
    const firstJson = JSON.stringify(first);
    const firstRecalled = first.memory.recalled;

    // The second turn, held as it was when its answer began to stream.
    const streaming = next(c, "llm_progress");
    const done = next(c, "latency_trace", 60_000);
    await c.textInput("what is 2 plus 2");
    await streaming;
    const early = c.conversation.turns[1]!;
    const earlyJson = JSON.stringify(early);
    await done;

    const [again, second] = c.conversation.turns;
    expect(again).toBe(first);
    expect(JSON.stringify(first)).toBe(firstJson);
    expect(first.memory.recalled).toBe(firstRecalled);
    expect(second).not.toBe(early);
    expect(JSON.stringify(early)).toBe(earlyJson);
    expect(second).toMatchObject({ user: "what is 2 plus 2", assistant: "2 + 2 is 4.", status: "completed" });
    expect(Object.isFrozen(second)).toBe(true);
    expect(Object.isFrozen(second!.tools)).toBe(true);
    expect(() => (second!.tools as unknown[]).push(1)).toThrow(TypeError);
    // What listeners were given stays theirs: the conversation keeps a copy.
    expect(Object.isFrozen(traced)).toBe(false);
    expect(second!.latency).toEqual(traced);
  });

  it("an answer whose only listener left mid-answer is marked as kept only as heard, without a turn_interrupted", async () => {
    fixture = track(await startCoda({ wordDelayMs: 0, tts: { msPerChar: 60, chunkMs: 100, sound: "silence" } }));
    // The only listener: it plays the first two seconds (as fast as they come), says so, and leaves.
    const listener = client(fixture.wsUrl, { audio: true });
    await listener.connect();
    let left = false;
    listener.on("audio", (chunk) => {
      if (left || !chunk.info) return;
      listener.notify("playback", { turn_id: chunk.info.turn_id, state: "playing", position_ms: chunk.info.offset_ms });
      if (chunk.info.offset_ms < 2000) return;
      left = true;
      void listener.close();
    });
    const stored = new Promise<void>((resolve) => fixture!.bridge.subscribe((e) => e.type === "memory_store" && resolve()));
    await listener.textInput("tell me a joke");
    await stored;

    const late = client(fixture.wsUrl);
    await late.connect();
    const [turn] = late.conversation.turns;
    expect(turn!.interruption).toBeNull();
    expect(turn!.memory.stored).toEqual([expect.objectContaining({ kind: "turn", interrupted: true })]);
    expect(turn!.heard).toEqual({ text: null, ms: null });
    expect(turn!.status).toBe("completed");
  }, 60_000);

  it("after a drop, resumes from the replay's last_seq: only what it missed, no folded progress twice", async () => {
    fixture = track(await startCoda({ wordDelayMs: 0 }));
    const seed = client(fixture.wsUrl);
    await seed.connect();
    await turnEnds(seed, () => seed.textInput("tell me a joke"));
    proxy = track(await startProxy(fixture.server.port));
    const c = client(proxy.url);
    const rec = record(c);
    await c.connect();
    const joined = c.lastSeq;
    expect(joined).toBe(fixture.server.lastSeq);

    proxy.refuse(true);
    proxy.drop();
    await until(() => c.state === "reconnecting", "reconnecting");
    await turnEnds(seed, () => seed.textInput("what is 6 times 7"));
    proxy.refuse(false);
    await c.ready();

    const afterJoin = rec.events.filter((e) => e.event.seq !== undefined && e.event.seq > joined);
    expect(afterJoin.every((e) => e.replayed)).toBe(true);
    expect(afterJoin.map((e) => e.event.seq)).toEqual(Array.from({ length: fixture.server.lastSeq - joined }, (_, i) => joined + i + 1));
    expect(rec.notes.filter((n) => n.startsWith("gap"))).toEqual([]);
    expect(c.conversation.turns.map((t) => [t.user, t.assistant.slice(0, 20)])).toEqual([
      ["tell me a joke", "Sorry, I can't answe"],
      ["what is 6 times 7", "6 * 7 is 42."],
    ]);
  }, 120_000);

  it("is typed", () => {
    expectTypeOf<CodaClient["conversation"]["turns"]>().toEqualTypeOf<ConversationTurn[]>();
    expectTypeOf<ConversationTurn["status"]>().toEqualTypeOf<"running" | "completed" | "interrupted" | "failed">();
    expectTypeOf<ConversationTurn["heard"]>().toEqualTypeOf<{ text: string | null; ms: number | null } | null>();
  });
});
