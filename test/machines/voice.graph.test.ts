/**
 * Model-based tests of the session machine (the root) with xstate/graph.
 * The graph is explored with every client command, every report and ending
 * a turn sends its session (payload variants in the fixture); the tests
 * check that every state node and every transition is reachable, then replay
 * every shortest path on a live session whose turns are real turn machines
 * with inert stage actors, checking step by step that the session is where
 * the graph says, that its phase is its running turn's, that its mirror of
 * the turn's stage never runs ahead of the turn, and that what it emitted
 * (its own events and its turns') obeys the protocol's rules.
 */
import { createActor } from "xstate";
import { getAdjacencyMap, getShortestPaths, getStateNodes, type StatePath } from "xstate/graph";
import { describe, expect, it } from "vitest";
import { onVoiceEmitted } from "../../machines/emitted.js";
import { voiceMachine } from "../../machines/voice.js";
import type { VoiceEvent } from "../../machines/voice-types.js";
import { replayPath } from "./replay-path.js";
import { EVENTS, INPUT, inertMachine, serializeState, type VoiceSnapshot } from "./voice-graph-fixture.js";

const traversal = {
  events: EVENTS,
  input: INPUT,
  serializeState: serializeState as (s: VoiceSnapshot) => string,
  filterEvents: (s: VoiceSnapshot, e: VoiceEvent) => s.can(e),
  stopWhen: (s: VoiceSnapshot) => s.status !== "active",
};
type Adjacency = Record<string, { state: VoiceSnapshot; transitions: Record<string, { event: VoiceEvent; state: VoiceSnapshot }> }>;
const adjacency = getAdjacencyMap(voiceMachine as never, traversal as never) as Adjacency;
const edges = Object.values(adjacency).flatMap((v) => Object.values(v.transitions).map((t) => ({ from: v.state, event: t.event, to: t.state })));

function replay(path: StatePath<VoiceSnapshot, VoiceEvent>): void {
  replayPath(
    createActor(inertMachine, { input: INPUT }),
    path,
    serializeState,
    (live) => {
      // One cut memory actor per cut turn being stored, named after it; a settled one is stopped.
      const cuts = Object.keys(live.children).filter((id) => id.startsWith("cut."));
      expect(cuts).toEqual(live.context.storingCut.map((id) => `cut.${id}`));
      const turn = live.children.turn?.getSnapshot();
      if (live.matches("turn")) {
        // One turn runs, named after the turn count, and the session shows its phase.
        expect(turn?.context.id).toBe(`t${live.context.turnCount}`);
        expect(live.context.phase).toBe(turn!.context.phase);
      } else {
        expect(turn).toBeUndefined();
        if (live.matches("idle")) expect([live.context.phase, live.context.listenMode, live.context.stopAfterTurn]).toEqual(["idle", null, false]);
        if (live.matches("stopped")) expect(live.context.phase).toBe("stopped");
      }
    },
    {
      subscribe: (actor, listener) => onVoiceEmitted(actor as never, listener),
      // A live cut keeps the cut turn's messages in the history; a pure traversal runs no turn to read them from.
      compare: (live, pure) => {
        const { hist: liveHist, ...liveState } = JSON.parse(serializeState(live)) as { hist: number };
        const { hist: pureHist, ...pureState } = JSON.parse(serializeState(pure)) as { hist: number };
        expect(liveState).toEqual(pureState);
        expect(liveHist).toBeGreaterThanOrEqual(pureHist);
      },
    },
  );
}

describe("session machine graph", () => {
  it("reaches every state node", () => {
    const all = getStateNodes(voiceMachine.root as never).map((n) => n.id);
    const reached = new Set(Object.values(adjacency).flatMap((v) => v.state._nodes.map((n) => n.id)));
    // `starting` and `after_turn` are left at once (eventless transitions), so no snapshot rests there.
    expect(all.filter((id) => !reached.has(id))).toEqual(["voice.turn.starting", "voice.after_turn"]);
    expect(all.length).toBe(9);
    // Shutdown waits in `stopping` only while a cut turn's memory is being stored.
    const stopping = Object.values(adjacency).filter((v) => v.state.matches("stopping"));
    expect(stopping.length).toBeGreaterThan(0);
    for (const v of stopping) expect(v.state.context.storingCut).not.toEqual([]);
  });

  it("takes every transition of every state node", () => {
    const all = getStateNodes(voiceMachine.root as never).flatMap((node) => [...node.transitions.values()].flat());
    const taken = new Set(edges.flatMap(({ from, event }) => voiceMachine.getTransitionData(from, event)));
    const missing = all.filter((t) => !taken.has(t)).map((t) => `${t.source.id} --${t.eventType}--> ${t.target?.map((n) => n.id).join(",") ?? "(self)"}`);
    expect(missing).toEqual([]);
    // The one decision after a turn: listen again (continuous session) or rest.
    const afterTurn = voiceMachine.root.states.after_turn!.always!;
    expect(afterTurn.map((t) => [typeof t.guard === "string" ? t.guard : undefined, t.target?.map((n) => n.id)])).toEqual([
      ["shouldRelisten", ["voice.turn"]],
      [undefined, ["voice.idle"]],
    ]);
    expect(edges.some(({ from, to }) => from.matches("turn") && to.matches("turn") && to.context.turnCount > from.context.turnCount)).toBe(true);
  });

  it("replays every shortest path on a live session", () => {
    const paths = getShortestPaths(voiceMachine, traversal as never) as StatePath<VoiceSnapshot, VoiceEvent>[];
    expect(paths.length).toBe(Object.keys(adjacency).length);
    for (const path of paths) replay(path);
  });
});
