/**
 * The turn's wait under the synthesis bound (`answering.speech.held`), on a
 * live turn actor with fake timers: a sentence that finds the playout's
 * buffer full waits without a synthesis deadline, goes on at `playout.room`
 * for this turn (not an earlier one), and a listener stalled for good does
 * not hang the turn (one more sentence per hold deadline).
 */
import { createActor } from "xstate";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { VoiceEmitted } from "../../machines/voice-types.js";
import { TEXT_INPUT, inertTurn } from "./turn-graph-fixture.js";

const TTS_MS = TEXT_INPUT.settings.deadlines.ttsMs;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A typed turn speaking its first of three sentences, recall done, the model done unless `generating`. */
function speakingTurn(o: { generating?: boolean } = {}) {
  const actor = createActor(inertTurn, { input: TEXT_INPUT });
  const emitted: VoiceEmitted[] = [];
  actor.on("*", (e) => emitted.push(e));
  actor.start();
  actor.send({ type: "xstate.done.actor.recall", output: [] } as never);
  for (const text of ["One.", "Two.", "Three."]) actor.send({ type: "llm.sentence", text });
  // (The model's own deadline would otherwise end the turn while the test moves time.)
  if (!o.generating) actor.send({ type: "llm.done", finishReason: "stop", toolCalls: [] });
  actor.send({ type: "tts.chunk", pcm: new Uint8Array(320), audioMs: 10 });
  const speech = () => (actor.getSnapshot().value as { answering?: { speech: string } }).answering?.speech;
  const current = () => actor.getSnapshot().context.speech.current;
  return { actor, emitted, speech, current };
}

describe("speech.held", () => {
  it("holds the next sentence while the buffer is full, with no synthesis deadline, until room for this turn", () => {
    const { actor, emitted, speech, current } = speakingTurn();
    expect([speech(), current()]).toEqual(["synthesizing", "One."]);
    actor.send({ type: "playout.full", turnId: "t1", aheadMs: 30_000 });
    expect(speech()).toBe("synthesizing"); // the sentence under way is finished
    actor.send({ type: "tts.done" });
    expect([speech(), current(), actor.getSnapshot().context.speech.queue]).toEqual(["held", null, ["Two.", "Three."]]);
    vi.advanceTimersByTime(TTS_MS * 2);
    expect(speech()).toBe("held");
    expect(emitted.filter((e) => e.type === "tts.failed")).toEqual([]);
    actor.send({ type: "playout.room", turnId: "t0" }); // a late report about an earlier turn
    expect(speech()).toBe("held");
    actor.send({ type: "playout.room", turnId: "t1" });
    expect([speech(), current()]).toEqual(["synthesizing", "Two."]);
    actor.stop();
  });

  it("does not hold when there is room, nor when no sentence waits", () => {
    const { actor, speech, current } = speakingTurn({ generating: true });
    actor.send({ type: "tts.done" });
    expect([speech(), current()]).toEqual(["synthesizing", "Two."]);
    actor.send({ type: "tts.done" });
    actor.send({ type: "playout.full", turnId: "t1", aheadMs: 5000 });
    actor.send({ type: "tts.done" });
    // Nothing left to synthesise: waiting for the model, not for room.
    expect(speech()).toBe("gap");
    actor.send({ type: "llm.sentence", text: "Four." });
    expect(speech()).toBe("held");
    actor.stop();
  });

  it("a listener stalled for good costs one sentence per hold deadline, not a hung turn", () => {
    const { actor, speech, current } = speakingTurn();
    actor.send({ type: "playout.full", turnId: "t1", aheadMs: 4000 });
    actor.send({ type: "tts.done" });
    expect(speech()).toBe("held");
    vi.advanceTimersByTime(4000 + TTS_MS - 1);
    expect(speech()).toBe("held");
    vi.advanceTimersByTime(1);
    expect([speech(), current()]).toEqual(["synthesizing", "Two."]);
    actor.send({ type: "tts.done" });
    expect(speech()).toBe("held");
    actor.stop();
  });
});
