/**
 * onVoiceEmitted: one ordered stream of the session's events and its
 * running turn's, which the turn emits itself (they are not passed through
 * the session). Turns run inert stage actors; the test moves them by
 * sending the stage events a real stage actor would send back.
 */
import { createActor } from "xstate";
import { afterEach, describe, expect, it } from "vitest";
import { onVoiceEmitted } from "../../machines/emitted.js";
import type { VoiceEmitted } from "../../machines/voice-types.js";
import { INPUT, inertMachine } from "./voice-graph-fixture.js";

const stopped: (() => void)[] = [];
afterEach(() => {
  for (const stop of stopped.splice(0)) stop();
});

function session() {
  const actor = createActor(inertMachine, { input: INPUT });
  stopped.push(() => actor.stop());
  const seen: string[] = [];
  const listen = () => onVoiceEmitted(actor, (e: VoiceEmitted) => seen.push(`${e.type} ${e.turnId}`));
  return { actor, seen, listen };
}

describe("onVoiceEmitted", () => {
  it("gives the session's and each turn's events in order, and none of a replaced turn", () => {
    const { actor, seen, listen } = session();
    listen();
    actor.start();
    actor.send({ type: "user.text", text: "first" });
    const first = actor.getSnapshot().children.turn!;
    actor.send({ type: "user.text", text: "second" });
    // The replaced turn is stopped; whatever it would still say is not heard.
    first.send({ type: "xstate.done.actor.recall", output: [] } as never);
    actor.getSnapshot().children.turn!.send({ type: "xstate.done.actor.recall", output: [] } as never);
    expect(seen).toEqual([
      "turn.started t1",
      "state.changed t1",
      "memory.recall_started t1",
      "turn.ended t1",
      "turn.interrupted t1",
      "turn.started t2",
      "memory.recall_started t2",
      "memory.recalled t2",
      "llm.started t2",
    ]);
    // The session's phase follows its turn's reports (thinking since t1's start; t2 did not change it).
    expect(actor.getSnapshot().context.phase).toBe("thinking");
  });

  it("follows a turn that is already running when it subscribes", () => {
    const { actor, seen, listen } = session();
    actor.start();
    actor.send({ type: "user.text", text: "hello" });
    listen();
    actor.getSnapshot().children.turn!.send({ type: "xstate.done.actor.recall", output: [] } as never);
    actor.send({ type: "user.stop_speaking" });
    expect(seen).toEqual(["memory.recalled t1", "llm.started t1", "llm.round_ended t1", "llm.result t1", "turn.ended t1", "turn.interrupted t1", "state.changed null"]);
  });

  it("stops listening to the session and its turn when unsubscribed", () => {
    const { actor, seen, listen } = session();
    actor.start();
    actor.send({ type: "user.text", text: "hello" });
    listen().unsubscribe();
    actor.getSnapshot().children.turn!.send({ type: "xstate.done.actor.recall", output: [] } as never);
    actor.send({ type: "user.stop_speaking" });
    expect(seen).toEqual([]);
  });
});
