/**
 * Model-based tests of the root voice machine with xstate/graph. The graph
 * is explored with every event the machine names (payload variants in the
 * fixture); the tests check that every state node and every transition is
 * reachable, then replay every shortest path (and the simple paths of one
 * turn) on a live actor and check, step by step, that the live machine is
 * where the graph says and that what it emitted obeys the protocol's rules.
 */
import { createActor, initialTransition, transition } from "xstate";
import { getAdjacencyMap, getShortestPaths, getSimplePaths, getStateNodes, type StatePath } from "xstate/graph";
import { describe, expect, it } from "vitest";
import { voiceMachine } from "../../machines/voice.js";
import type { VoiceEmitted, VoiceEvent } from "../../machines/voice-types.js";
import { EVENTS, INPUT, inertMachine, serializeState, type VoiceSnapshot } from "./voice-graph-fixture.js";

// Only events the machine takes in that state are explored (an unhandled actor error event
// would put the snapshot in an error status no live run can reach); a stopped machine is final.
const traversalFor = (input: typeof INPUT) => ({
  events: EVENTS,
  input,
  serializeState: serializeState as (s: VoiceSnapshot) => string,
  filterEvents: (s: VoiceSnapshot, e: VoiceEvent) => s.can(e),
  stopWhen: (s: VoiceSnapshot) => s.status !== "active",
});
type Adjacency = Record<string, { state: VoiceSnapshot; transitions: Record<string, { event: VoiceEvent; state: VoiceSnapshot }> }>;
// Pipelined speech (the default) and one-sentence-after-the-answer speech take different transitions.
const INPUTS = [INPUT, { ...INPUT, pipelined: false }];
const adjacencies = INPUTS.map((input) => getAdjacencyMap(voiceMachine as never, traversalFor(input) as never) as Adjacency);
const edges = adjacencies.flatMap((adjacency) =>
  Object.values(adjacency).flatMap((v) => Object.values(v.transitions).map((t) => ({ from: v.state, event: t.event, to: t.state }))),
);

/** The coarse state a snapshot must report, derived from its state value alone. */
function expectedPhase(s: VoiceSnapshot): string {
  if (s.matches("idle")) return "idle";
  if (s.matches("listening")) return "listening";
  if (s.matches("stopped")) return "stopped";
  // Answering (and remembering, which keeps the phase of the answer): speaking once speech started.
  if (s.matches({ answering: { speech: "pending" } })) expect(s.context.turn!.speech.started).toBe(false);
  if (s.matches({ answering: { speech: "synthesizing" } }) || s.matches({ answering: { speech: "gap" } })) expect(s.context.turn!.speech.started).toBe(true);
  return s.context.turn!.speech.started ? "speaking" : "thinking";
}

/** Rules every run must obey, whatever the path. */
function checkEmitted(emitted: VoiceEmitted[]): void {
  const ended = new Set<string>();
  // What each turn opened and has not closed yet: listening, and tool calls by id.
  const listening = new Set<string>();
  const calls = new Map<string, Set<string>>();
  let started = 0;
  let phase = "idle";
  for (let i = 0; i < emitted.length; i++) {
    const e = emitted[i]!;
    if (e.type === "turn.started") {
      started += 1;
      expect(e.turnId).toBe(`t${started}`);
      continue;
    }
    if (e.type === "state.changed") {
      expect(e.previous).toBe(phase);
      expect(e.state).not.toBe(phase);
      phase = e.state;
      continue;
    }
    if (e.type === "turn.interrupted") {
      // Always right after the end of the same turn, and names the turn that replaces it (barge-in only).
      expect(emitted[i - 1]).toMatchObject({ type: "turn.ended", turnId: e.turnId, outcome: "interrupted" });
      expect(e.by === null).toBe(e.reason !== "barge_in");
      continue;
    }
    const turnId = "turnId" in e ? e.turnId : null;
    if (turnId === null) continue;
    expect(ended.has(turnId), `${e.type} after the end of ${turnId}`).toBe(false);
    if (e.type === "stt.started") listening.add(turnId);
    if (e.type === "stt.result" || e.type === "stt.failed") expect(listening.delete(turnId), `${e.type} without stt.started`).toBe(true);
    if (e.type === "tool.called") calls.set(turnId, (calls.get(turnId) ?? new Set()).add(e.callId));
    if (e.type === "tool.result" || e.type === "tool.failed") expect(calls.get(turnId)?.delete(e.callId), `${e.type} for a call not open`).toBe(true);
    if (e.type === "turn.ended") {
      // Every start the turn announced has its end before the turn's end.
      expect(listening.has(turnId), `${turnId} ended while listening`).toBe(false);
      expect([...(calls.get(turnId) ?? [])], `${turnId} ended with tool calls unanswered`).toEqual([]);
      ended.add(turnId);
    }
  }
}

function replay(path: StatePath<VoiceSnapshot, VoiceEvent>, input = INPUT, serialize: (s: VoiceSnapshot) => string = serializeState): void {
  const actor = createActor(inertMachine, { input });
  const emitted: VoiceEmitted[] = [];
  actor.on("*", (e) => emitted.push(e));
  actor.start();
  try {
    for (const step of path.steps) {
      if ((step.event.type as string) !== "xstate.init") actor.send(step.event);
      const live = actor.getSnapshot();
      expect(serialize(live)).toBe(serialize(step.state));
      expect(live.context.phase).toBe(expectedPhase(live));
      if (live.matches("idle")) expect([live.context.turn, live.context.listenMode]).toEqual([null, null]);
      else if (!live.matches("stopped")) expect(live.context.turn).not.toBeNull();
    }
    checkEmitted(emitted);
  } finally {
    actor.stop();
  }
}

describe("voice machine graph", () => {
  it("reaches every state node", () => {
    const all = getStateNodes(voiceMachine.root as never).map((n) => n.id);
    const reached = new Set(adjacencies.flatMap((a) => Object.values(a).flatMap((v) => v.state._nodes.map((n) => n.id))));
    expect(all.filter((id) => !reached.has(id))).toEqual([]);
    expect(all.length).toBe(17);
  });

  it("takes every transition of every state node", () => {
    const all = getStateNodes(voiceMachine.root as never).flatMap((node) => [...node.transitions.values()].flat());
    const taken = new Set(edges.flatMap(({ from, event }) => voiceMachine.getTransitionData(from, event)));
    // Completion of the parallel answering state is raised inside the machine, not sent:
    // it is taken when some edge goes from answering to remembering.
    const doneState = all.filter((t) => t.eventType.startsWith("xstate.done.state."));
    expect(doneState.map((t) => t.eventType)).toEqual(["xstate.done.state.voice.answering"]);
    expect(edges.some(({ from, to }) => from.matches("answering") && to.matches("remembering"))).toBe(true);
    const missing = all
      .filter((t) => !doneState.includes(t) && !taken.has(t))
      .map((t) => `${t.source.id} --${t.eventType}--> ${t.target?.map((n) => n.id).join(",") ?? "(self)"}`);
    expect(missing).toEqual([]);
    expect(all.length).toBe(59);
  });

  it.each(INPUTS.map((input, i) => [input.pipelined === false ? "sequential speech" : "pipelined speech", i] as const))(
    "replays every shortest path on a live actor (%s)",
    (_name, i) => {
      const input = INPUTS[i]!;
      const paths = getShortestPaths(voiceMachine, traversalFor(input) as never) as StatePath<VoiceSnapshot, VoiceEvent>[];
      expect(paths.length).toBe(Object.keys(adjacencies[i]!).length);
      for (const path of paths) replay(path, input);
    },
  );

  it("replays every simple path of a typed turn, from its start to remembering", () => {
    // Every interleaving of recall, generation (with one tool round) and speech of one turn.
    const turnEvents = EVENTS.filter((e) => ["llm.sentence", "llm.done", "tools.outcome", "tools.done", "tts.done", "xstate.done.actor.recall"].includes(e.type));
    const [start] = transition(voiceMachine, initialTransition(voiceMachine, INPUT)[0], { type: "user.text", text: "hello" });
    const coarse = (s: VoiceSnapshot) => JSON.stringify([s.value, s.context.turn?.speech.started ?? null, s.context.turn?.llm ?? null, s.context.turn?.round ?? null]);
    const paths = getSimplePaths(voiceMachine, {
      events: turnEvents,
      input: INPUT,
      fromState: start,
      serializeState: coarse,
      filterEvents: (s: VoiceSnapshot, e: VoiceEvent) => s.can(e),
      toState: (s: VoiceSnapshot) => s.matches("remembering"),
    } as never) as StatePath<VoiceSnapshot, VoiceEvent>[];
    expect(paths.length).toBe(50);
    for (const path of paths) {
      expect(path.state.matches("remembering")).toBe(true);
      replay({ ...path, steps: [{ event: { type: "user.text", text: "hello" } as VoiceEvent, state: start }, ...path.steps] }, INPUT, coarse);
    }
  });
});
