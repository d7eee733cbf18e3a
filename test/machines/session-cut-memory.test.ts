/**
 * The session's memory of cut turns, on a live session whose turns are real
 * turn machines (inert stages) and whose store is the real memory stage
 * over the in-memory store: a stop after the listener heard part of the
 * answer stores exactly that, marked interrupted, after the turn's end (the
 * emitted stream still obeys the protocol's rules); nothing heard stores
 * nothing; shutdown waits in `stopping` for the store and never past the
 * memory deadline (on a clock the test moves).
 */
import { SimulatedClock, createActor, fromPromise } from "xstate";
import { describe, expect, it } from "vitest";
import { createStoreLogic } from "../../actors/memory/actor.js";
import { InMemoryStore } from "../../actors/memory/in-memory.js";
import type { StoreInput, StoreOutput } from "../../actors/contracts/index.js";
import { onVoiceEmitted } from "../../machines/emitted.js";
import { withStageActors } from "../../machines/voice.js";
import type { VoiceEmitted, VoiceEvent } from "../../machines/voice-types.js";
import { checkEmitted } from "./emitted-rules.js";
import { inertStages } from "./turn-graph-fixture.js";

function start(store: ReturnType<typeof createStoreLogic>, clock?: SimulatedClock) {
  const actor = createActor(withStageActors({ ...inertStages, store }), { input: { turnPrefix: "t", deadlines: { memoryMs: 2000 } }, ...(clock ? { clock } : {}) });
  const emitted: VoiceEmitted[] = [];
  onVoiceEmitted(actor, (e) => emitted.push(e));
  actor.start();
  /** A typed turn that has begun to speak, and how far its listener heard it just before the command that cuts it. */
  const speakAndHear = (heard: string) => {
    actor.send({ type: "user.text", text: "tell me a story" });
    const turn = actor.getSnapshot().children.turn!;
    for (const e of [
      { type: "llm.delta", text: "Once upon a time. There was a fox." },
      { type: "llm.sentence", text: "Once upon a time." },
      { type: "tts.chunk", pcm: new Uint8Array(4), audioMs: 500 },
    ]) turn.send(e as never);
    // The playout's report goes to the session, which passes it to its turn.
    actor.send({ type: "playout.heard", turnId: "t1", text: heard, heardMs: 300 });
  };
  return { actor, emitted, speakAndHear };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe("the session remembers a cut turn as heard", () => {
  it("stop_speaking: stores the heard text marked interrupted, after the turn's end, and stops the memory actor", async () => {
    const memory = new InMemoryStore();
    const { actor, emitted, speakAndHear } = start(createStoreLogic({ store: memory }));
    speakAndHear("Once upon a—");
    expect(actor.getSnapshot().context.heard).toEqual({ turnId: "t1", user: "tell me a story", text: "Once upon a—" });
    actor.send({ type: "user.stop_speaking" });
    expect(actor.getSnapshot().context.storingCut).toEqual(["t1"]);
    expect(Object.keys(actor.getSnapshot().children)).toEqual(["cut.t1"]);
    await settle();
    expect(actor.getSnapshot().context.storingCut).toEqual([]);
    expect(Object.keys(actor.getSnapshot().children)).toEqual([]);
    const types = emitted.map((e) => e.type);
    expect(types.slice(types.indexOf("turn.ended"))).toEqual(["turn.ended", "turn.interrupted", "state.changed", "memory.stored"]);
    expect(emitted.at(-1)).toMatchObject({ type: "memory.stored", turnId: "t1", kind: "turn", interrupted: true });
    expect(await memory.list()).toEqual([expect.objectContaining({ turnId: "t1", interrupted: true, text: "User: tell me a story\nAssistant (interrupted): Once upon a—" })]);
    checkEmitted(emitted);
    actor.stop();
  });

  it("stores it for the user whose command started the turn, not for the one who cut it", async () => {
    const memory = new InMemoryStore();
    const { actor } = start(createStoreLogic({ store: memory }));
    actor.send({ type: "user.text", text: "tell me a story", userId: "bob" });
    const turn = actor.getSnapshot().children.turn!;
    for (const e of [
      { type: "llm.delta", text: "Once upon a time." },
      { type: "llm.sentence", text: "Once upon a time." },
      { type: "tts.chunk", pcm: new Uint8Array(4), audioMs: 500 },
    ]) turn.send(e as never);
    actor.send({ type: "playout.heard", turnId: "t1", text: "Once upon", heardMs: 300 });
    actor.send({ type: "user.text", text: "stop, tell me the time", userId: "ana" });
    await settle();
    expect((await memory.list({ userId: "bob" })).map((m) => [m.turnId, m.interrupted])).toEqual([["t1", true]]);
    expect(await memory.list({ userId: "ana" })).toEqual([]);
    expect(actor.getSnapshot().context.request).toEqual({ mode: "text", text: "stop, tell me the time", userId: "ana", client: null });
    actor.stop();
  });

  it("nothing heard (only the cut mark): nothing stored", async () => {
    const memory = new InMemoryStore();
    const { actor, emitted, speakAndHear } = start(createStoreLogic({ store: memory }));
    speakAndHear("—");
    actor.send({ type: "user.stop_speaking" });
    await settle();
    expect(actor.getSnapshot().context.storingCut).toEqual([]);
    expect(emitted.some((e) => e.type === "memory.stored" || e.type === "memory.failed")).toBe(false);
    expect(await memory.list()).toEqual([]);
    actor.stop();
  });

  it("shutdown waits in stopping for the store, then stops", async () => {
    let resolve!: (item: StoreOutput) => void;
    const slow = fromPromise<StoreOutput, StoreInput>(() => new Promise((r) => (resolve = r)));
    const { actor, emitted, speakAndHear } = start(slow as never);
    speakAndHear("Once upon a—");
    actor.send({ type: "system.shutdown" } satisfies VoiceEvent);
    expect(actor.getSnapshot().value).toBe("stopping");
    expect(actor.getSnapshot().context.phase).toBe("stopped");
    resolve({ id: "m1", kind: "turn", text: "User: tell me a story\nAssistant (interrupted): Once upon a—", importance: 0.3, createdAt: "2026-11-30T00:00:00.000Z", turnId: "t1", interrupted: true });
    await settle();
    expect(actor.getSnapshot().status).toBe("done");
    expect(emitted.at(-1)).toMatchObject({ type: "memory.stored", turnId: "t1", interrupted: true });
    checkEmitted(emitted);
  });

  it("shutdown never waits past the memory deadline for a store that does not answer", () => {
    const clock = new SimulatedClock();
    const stuck = fromPromise<StoreOutput, StoreInput>(() => new Promise(() => {}));
    const { actor, emitted, speakAndHear } = start(stuck as never, clock);
    speakAndHear("Once upon a—");
    actor.send({ type: "system.shutdown" });
    clock.increment(1999);
    expect(actor.getSnapshot().value).toBe("stopping");
    clock.increment(1);
    expect(actor.getSnapshot().status).toBe("done");
    expect(emitted.at(-1)).toEqual({ type: "memory.failed", turnId: "t1", operation: "store", code: "timeout", message: "Memory store took longer than 2000 ms" });
    checkEmitted(emitted);
  });
});
