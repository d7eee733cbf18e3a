/**
 * Model-based tests of the turn machine with xstate/graph. The graph is
 * explored from each way a turn starts (typed, push-to-talk, demo, and
 * typed with speech after the whole answer) with every event the machine
 * names (payload variants in the fixture); the tests check that every state
 * node and every transition is reachable, then replay every shortest path
 * (and the simple paths of a typed turn) on a live actor and check, step by
 * step, that the live turn is where the graph says and that what it emitted
 * obeys the protocol's rules.
 */
import { createActor, initialTransition } from "xstate";
import { getAdjacencyMap, getShortestPaths, getSimplePaths, getStateNodes, type StatePath } from "xstate/graph";
import { describe, expect, it } from "vitest";
import { turnMachine } from "../../machines/turn.js";
import type { TurnEvent, TurnInput } from "../../machines/turn-types.js";
import { replayPath } from "./replay-path.js";
import { TEXT_INPUT, TURN_EVENTS, TURN_INPUTS, inertTurn, serializeTurn, type TurnSnapshot } from "./turn-graph-fixture.js";

// Only events the machine takes in that state are explored; a finished turn is final.
const traversalFor = (input: TurnInput) => ({
  events: TURN_EVENTS,
  input,
  serializeState: serializeTurn as (s: TurnSnapshot) => string,
  filterEvents: (s: TurnSnapshot, e: TurnEvent) => s.can(e),
  stopWhen: (s: TurnSnapshot) => s.status !== "active",
});
type Adjacency = Record<string, { state: TurnSnapshot; transitions: Record<string, { event: TurnEvent; state: TurnSnapshot }> }>;
const adjacencies = TURN_INPUTS.map((input) => getAdjacencyMap(turnMachine as never, traversalFor(input) as never) as Adjacency);
const edges = adjacencies.flatMap((adjacency) =>
  Object.values(adjacency).flatMap((v) => Object.values(v.transitions).map((t) => ({ from: v.state, event: t.event, to: t.state }))),
);

/** The coarse state a snapshot must report, derived from its state value alone. */
function expectedPhase(s: TurnSnapshot): string {
  if (s.matches("listening")) return "listening";
  // An ended turn keeps the phase it ended in (the session announces what comes next).
  if (s.status === "done") return s.context.phase;
  if (s.matches({ answering: { speech: "pending" } })) expect(s.context.speech.started).toBe(false);
  if ((["synthesizing", "gap", "held"] as const).some((speech) => s.matches({ answering: { speech } }))) expect(s.context.speech.started).toBe(true);
  // Held only while a sentence waits and the playout's buffer is at the synthesis bound.
  if (s.matches({ answering: { speech: "held" } })) expect([s.context.speech.queue.length > 0, s.context.speech.full !== null]).toEqual([true, true]);
  // Answering, remembering and the end keep the phase of the answer: speaking once speech started.
  return s.context.speech.started ? "speaking" : "thinking";
}

function replay(path: StatePath<TurnSnapshot, TurnEvent>, input: TurnInput, serialize: (s: TurnSnapshot) => string = serializeTurn): void {
  replayPath(
    createActor(inertTurn, { input }),
    path,
    serialize,
    (live, emitted) => {
      expect(live.context.phase).toBe(expectedPhase(live));
      if (live.status === "done") expect(["listening", "thinking", "speaking"]).toContain(live.context.phase);
      if (live.status === "done") {
        // A finished turn has announced its end exactly once, and hands back how it ended.
        expect(emitted.filter((e) => e.type === "turn.ended").map((e) => e.type === "turn.ended" && e.outcome)).toEqual([live.output!.outcome]);
        expect(live.output).toMatchObject({ turnId: "t1", outcome: live.context.ending.outcome, endSession: live.context.ending.endSession });
      } else {
        expect(emitted.some((e) => e.type === "turn.ended")).toBe(false);
      }
    },
    { initialPhase: input.phase },
  );
}

describe("turn machine graph", () => {
  it("reaches every state node", () => {
    const all = getStateNodes(turnMachine.root as never).map((n) => n.id);
    const reached = new Set(adjacencies.flatMap((a) => Object.values(a).flatMap((v) => v.state._nodes.map((n) => n.id))));
    // `start` and `next` are left at once (eventless transitions), so no snapshot rests there.
    expect(all.filter((id) => !reached.has(id))).toEqual(["turn.start", "turn.answering.speech.next"]);
    expect(all.length).toBe(21);
  });

  it("takes every transition of every state node", () => {
    const all = getStateNodes(turnMachine.root as never).flatMap((node) => [...node.transitions.values()].flat());
    const taken = new Set(edges.flatMap(({ from, event }) => turnMachine.getTransitionData(from, event)));
    // Completion of the parallel answering state is raised inside the machine, not sent:
    // its two branches are taken when some edge goes from answering to playing (speech started) and to remembering (none).
    const doneState = all.filter((t) => t.eventType.startsWith("xstate.done.state."));
    expect(doneState.map((t) => t.eventType)).toEqual(["xstate.done.state.turn.answering", "xstate.done.state.turn.answering"]);
    expect(edges.some(({ from, to }) => from.matches("answering") && to.matches("playing"))).toBe(true);
    expect(edges.some(({ from, to }) => from.matches("answering") && to.matches("remembering"))).toBe(true);
    const missing = all
      .filter((t) => !doneState.includes(t) && !taken.has(t))
      .map((t) => `${t.source.id} --${t.eventType}--> ${t.target?.map((n) => n.id).join(",") ?? "(self)"}`);
    expect(missing).toEqual([]);
    // Each way to start is taken (the eventless transitions of `start`).
    const starts = adjacencies.map((a) => Object.values(a)[0]!.state.value);
    expect(starts).toEqual([{ answering: { generation: "recalling", speech: "pending" } }, { listening: "voice" }, { listening: "demo" }, { answering: { generation: "recalling", speech: "pending" } }]);
  });

  it.each(TURN_INPUTS.map((input, i) => [`${input.mode}${input.settings.pipelined ? "" : ", sequential speech"}`, i] as const))(
    "replays every shortest path on a live actor (%s)",
    (_name, i) => {
      const input = TURN_INPUTS[i]!;
      const paths = getShortestPaths(turnMachine, traversalFor(input) as never) as StatePath<TurnSnapshot, TurnEvent>[];
      expect(paths.length).toBe(Object.keys(adjacencies[i]!).length);
      for (const path of paths) replay(path, input);
    },
  );

  it("replays every simple path of a typed turn, from its start to remembering", () => {
    // Every interleaving of recall, generation (with one tool round) and speech of one turn.
    const turnEvents = TURN_EVENTS.filter((e) =>
      ["llm.sentence", "llm.done", "tools.outcome", "tools.done", "tts.done", "xstate.done.actor.recall", "playout.ended"].includes(e.type),
    );
    const [start] = initialTransition(turnMachine, TEXT_INPUT);
    const coarse = (s: TurnSnapshot) => JSON.stringify([s.value, s.context.speech.started, s.context.llm, s.context.round]);
    const paths = getSimplePaths(turnMachine, {
      events: turnEvents,
      input: TEXT_INPUT,
      fromState: start,
      serializeState: coarse,
      filterEvents: (s: TurnSnapshot, e: TurnEvent) => s.can(e),
      toState: (s: TurnSnapshot) => s.matches("remembering"),
    } as never) as StatePath<TurnSnapshot, TurnEvent>[];
    expect(paths.length).toBe(50);
    for (const path of paths) {
      expect(path.state.matches("remembering")).toBe(true);
      replay(path, TEXT_INPUT, coarse);
    }
  });
});
