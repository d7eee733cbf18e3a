/**
 * Whose turn a cut ends and whose command cut it, on a live session whose
 * turns are real turn machines (inert stages): `turn.interrupted` names the
 * client that started the cut turn (a continuous session's next turn: its
 * audio owner), the user's words, the client whose command cut it (none at
 * shutdown), and what that user got: an utterance dropped while listening,
 * a question unanswered (cut while thinking, or before a word of the
 * answer was heard), an answer cut after some was heard, or an answer
 * heard whole (cut while it was being stored).
 */
import { createActor } from "xstate";
import { describe, expect, it } from "vitest";
import { onVoiceEmitted } from "../../machines/emitted.js";
import { withStageActors } from "../../machines/voice.js";
import type { VoiceEmitted } from "../../machines/voice-types.js";
import { checkEmitted } from "./emitted-rules.js";
import { answerWhole, inertStages } from "./turn-graph-fixture.js";

function start() {
  const actor = createActor(withStageActors(inertStages), { input: { turnPrefix: "t" } });
  const emitted: VoiceEmitted[] = [];
  onVoiceEmitted(actor, (e) => emitted.push(e));
  actor.start();
  const turn = () => actor.getSnapshot().children.turn!;
  const cuts = () => emitted.filter((e) => e.type === "turn.interrupted");
  return { actor, emitted, turn, cuts };
}

describe("turn.interrupted says whose turn it was and whose command cut it", () => {
  it("a push-to-talk utterance cut by another client's typed question: dropped, no words taken", () => {
    const s = start();
    s.actor.send({ type: "user.listen", mode: "push_to_talk", client: "c1" });
    s.actor.send({ type: "user.text", text: "what is 12 times 7", client: "c2" });
    expect(s.cuts()).toEqual([
      { type: "turn.interrupted", turnId: "t1", reason: "barge_in", state: "listening", outcome: "utterance_dropped", client: "c1", question: null, by: "t2", byClient: "c2" },
    ]);
    checkEmitted(s.emitted);
    s.actor.stop();
  });

  it("a typed question cut while thinking by another client's stt_start: unanswered, with its words", () => {
    const s = start();
    s.actor.send({ type: "user.text", text: "tell me a story", client: "c1" });
    s.actor.send({ type: "user.listen", mode: "push_to_talk", client: "c3" });
    expect(s.cuts()).toEqual([
      { type: "turn.interrupted", turnId: "t1", reason: "barge_in", state: "thinking", outcome: "unanswered", client: "c1", question: "tell me a story", by: "t2", byClient: "c3" },
    ]);
    s.actor.stop();
  });

  it("stopped by another client while speaking: answer_cut when a word was heard, unanswered when none was", () => {
    for (const [heard, outcome] of [
      ["Once upon a—", "answer_cut"],
      ["—", "unanswered"],
    ] as const) {
      const s = start();
      s.actor.send({ type: "user.text", text: "tell me a story", client: "c1" });
      answerWhole(s.turn());
      s.actor.send({ type: "playout.heard", turnId: "t1", text: heard, heardMs: 400 });
      s.actor.send({ type: "user.stop_speaking", client: "c2" });
      expect(s.cuts()).toEqual([
        { type: "turn.interrupted", turnId: "t1", reason: "stop", state: "speaking", outcome, client: "c1", question: "tell me a story", by: null, byClient: "c2" },
      ]);
      s.actor.stop();
    }
  });

  it("cut while its answer, heard whole, is being stored: answered", () => {
    const s = start();
    s.actor.send({ type: "user.text", text: "tell me a story", client: "c1" });
    answerWhole(s.turn());
    s.actor.send({ type: "playout.ended", turnId: "t1", heardMs: 2000 });
    expect(s.actor.getSnapshot().matches({ turn: "remembering" })).toBe(true);
    s.actor.send({ type: "user.text", text: "and then?", client: "c2" });
    expect(s.cuts()).toEqual([
      { type: "turn.interrupted", turnId: "t1", reason: "barge_in", state: "speaking", outcome: "answered", client: "c1", question: "tell me a story", by: "t2", byClient: "c2" },
    ]);
    s.actor.stop();
  });

  it("a continuous session's next turn is its audio owner's; a shutdown is nobody's command", () => {
    const s = start();
    s.actor.send({ type: "user.listen", mode: "continuous", client: "c1" });
    s.turn().send({ type: "stt.final", text: "hello", confidence: null });
    s.actor.send({ type: "xstate.done.actor.turn", output: { turnId: "t1", outcome: "completed", endSession: false, messages: [] } } as never);
    expect(s.actor.getSnapshot().context.turnCount).toBe(2);
    s.actor.send({ type: "system.shutdown" });
    expect(s.cuts()).toEqual([
      { type: "turn.interrupted", turnId: "t2", reason: "shutdown", state: "listening", outcome: "utterance_dropped", client: "c1", question: null, by: null, byClient: null },
    ]);
  });
});
