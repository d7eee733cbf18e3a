/**
 * What the session machine holds and passes on from outside, on a live
 * session whose turns are real turn machines: the audio owner and its echo
 * cancellation (set by user.listen, cleared at rest), the owner leaving
 * (`user.left`: while listening the recogniser, a real STT stage, reports
 * `client_gone` and the session rests; while answering the session ends
 * after the answer; another client's leaving changes nothing), and the
 * playout clock's reports, which reach the running turn only through the
 * session. And what was heard is stored once: a turn whose listeners all
 * left stores its heard answer itself, so a later cut (here, shutdown)
 * stores nothing more.
 */
import { createActor } from "xstate";
import { describe, expect, it } from "vitest";
import { createStoreLogic } from "../../actors/memory/actor.js";
import { InMemoryStore } from "../../actors/memory/in-memory.js";
import { createSttLogic } from "../../actors/stt/actor.js";
import { ClientAudioSource } from "../../actors/stt/sources.js";
import { ScriptedSttEngine } from "../../actors/stt/testing/scripted.js";
import { onVoiceEmitted } from "../../machines/emitted.js";
import { withStageActors } from "../../machines/voice.js";
import type { VoiceEmitted } from "../../machines/voice-types.js";
import { checkEmitted } from "./emitted-rules.js";
import { answerWhole, inertStages } from "./turn-graph-fixture.js";

function start(stages: Partial<typeof inertStages> = {}) {
  const actor = createActor(withStageActors({ ...inertStages, ...stages }), { input: { turnPrefix: "t" } });
  const emitted: VoiceEmitted[] = [];
  onVoiceEmitted(actor, (e) => emitted.push(e));
  actor.start();
  const turn = () => actor.getSnapshot().children.turn!;
  return { actor, emitted, turn };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

/** A typed turn that has spoken its whole one-sentence answer and is playing it out. */
function playingTurn(s: ReturnType<typeof start>) {
  s.actor.send({ type: "user.text", text: "tell me a story" });
  answerWhole(s.turn());
  expect(s.turn().getSnapshot().value).toBe("playing");
}

describe("the audio owner", () => {
  it("is the client of user.listen, with its echo cancellation, until the session rests", () => {
    const { actor } = start();
    actor.send({ type: "user.listen", mode: "continuous", client: "c1", echoCancellation: true });
    expect([actor.getSnapshot().context.audioOwner, actor.getSnapshot().context.echoCancellation]).toEqual(["c1", true]);
    actor.send({ type: "user.stop_listening" });
    actor.send({ type: "xstate.done.actor.turn", output: { turnId: "t1", outcome: "completed", endSession: true, messages: [] } } as never);
    expect(actor.getSnapshot().value).toBe("idle");
    expect([actor.getSnapshot().context.audioOwner, actor.getSnapshot().context.echoCancellation]).toEqual([null, false]);
    actor.stop();
  });

  it("leaving while listening: the recogniser reports client_gone, the turn fails and the session rests", async () => {
    const engine = new ScriptedSttEngine({ utterances: ["never finished"], waitForAudioEnd: true });
    const { actor, emitted } = start({ stt: createSttLogic({ engine, source: new ClientAudioSource(), vad: false }) as never });
    actor.send({ type: "user.listen", mode: "continuous", client: "c1" });
    await settle();
    // Another client's leaving is not the owner's: the machine does not take it.
    expect(actor.getSnapshot().can({ type: "user.left", client: "c2" })).toBe(false);
    actor.send({ type: "user.left", client: "c1" });
    expect(actor.getSnapshot().value).toBe("idle");
    expect(emitted.filter((e) => e.type === "stt.failed")).toEqual([
      { type: "stt.failed", turnId: "t1", code: "client_gone", message: "The client streaming the audio disconnected" },
    ]);
    expect(emitted.find((e) => e.type === "turn.ended")).toEqual({ type: "turn.ended", turnId: "t1", mode: "continuous", outcome: "failed" });
    expect(engine.calls[0]!.signal.aborted).toBe(true);
    checkEmitted(emitted);
    actor.stop();
  });

  it("leaving while the answer plays in a continuous session: no owner, and the session ends after the answer", () => {
    const s = start();
    s.actor.send({ type: "user.listen", mode: "continuous", client: "c1" });
    s.turn().send({ type: "stt.final", text: "hello", confidence: null });
    expect(s.actor.getSnapshot().matches({ turn: "answering" })).toBe(true);
    s.actor.send({ type: "user.left", client: "c2" });
    expect(s.actor.getSnapshot().context.audioOwner).toBe("c1");
    s.actor.send({ type: "user.left", client: "c1" });
    expect([s.actor.getSnapshot().context.audioOwner, s.actor.getSnapshot().context.stopAfterTurn]).toEqual([null, true]);
    expect(s.actor.getSnapshot().matches({ turn: "answering" })).toBe(true);
    s.actor.stop();
  });
});

describe("the playout's reports", () => {
  it("reach the running turn through the session; at rest they change nothing", () => {
    const s = start();
    s.actor.send({ type: "user.text", text: "hello" });
    s.actor.send({ type: "playout.full", turnId: "t1", aheadMs: 30_000 });
    expect(s.turn().getSnapshot().context.speech.full).toEqual({ aheadMs: 30_000 });
    // A late report about an earlier turn: the turn keeps only its own.
    s.actor.send({ type: "playout.room", turnId: "t0" });
    expect(s.turn().getSnapshot().context.speech.full).toEqual({ aheadMs: 30_000 });
    s.actor.send({ type: "playout.room", turnId: "t1" });
    expect(s.turn().getSnapshot().context.speech.full).toBeNull();
    s.actor.send({ type: "user.stop_speaking" });
    const before = s.actor.getSnapshot();
    s.actor.send({ type: "playout.ended", turnId: "t1", heardMs: 0 });
    expect(s.actor.getSnapshot().value).toEqual(before.value);
    expect(s.actor.getSnapshot().context).toEqual(before.context);
    s.actor.stop();
  });

  it("the answer heard to its end: the turn leaves playing and remembers", () => {
    const s = start();
    playingTurn(s);
    s.actor.send({ type: "playout.ended", turnId: "t1", heardMs: 2000 });
    expect(s.actor.getSnapshot().matches({ turn: "remembering" })).toBe(true);
    s.actor.stop();
  });
});

describe("what was heard is stored once", () => {
  it("every listener left mid-answer: the turn stores the heard part itself; a shutdown then stores nothing more", async () => {
    const memory = new InMemoryStore();
    const s = start({ store: createStoreLogic({ store: memory }) as never });
    playingTurn(s);
    s.actor.send({ type: "playout.heard", turnId: "t1", text: "Once upon a—", heardMs: 700 });
    s.actor.send({ type: "playout.ended", turnId: "t1", heardMs: 700 });
    expect(s.actor.getSnapshot().matches({ turn: "remembering" })).toBe(true);
    s.actor.send({ type: "system.shutdown" });
    // No memory of a cut turn to wait for: the turn's own store has it.
    expect(s.actor.getSnapshot().context.storingCut).toEqual([]);
    expect(s.actor.getSnapshot().status).toBe("done");
    await settle();
    expect(await memory.list()).toEqual([expect.objectContaining({ turnId: "t1", interrupted: true, text: "User: tell me a story\nAssistant (interrupted): Once upon a—" })]);
  });
});
