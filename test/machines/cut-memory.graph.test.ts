/**
 * Model-based test of the memory of a cut turn (machines/cut-memory.ts)
 * with xstate/graph: every state node and transition is reached by the
 * store's answer, its failure and the memory deadline, and replaying every
 * transition on a live actor (an inert store, so only the explored
 * events move it) emits exactly one outcome for a settled memory: stored
 * (marked interrupted), or failed with the store's code or `timeout`.
 */
import { createActor, fromPromise } from "xstate";
import { getAdjacencyMap, getShortestPaths, getStateNodes, type StatePath } from "xstate/graph";
import { describe, expect, it } from "vitest";
import type { StoreInput, StoreOutput } from "../../actors/contracts/index.js";
import { cutMemoryMachine, type CutMemoryInput } from "../../machines/cut-memory.js";
import type { VoiceEmitted } from "../../machines/voice-types.js";

const INPUT: CutMemoryInput = { store: { turnId: "t1", user: "tell me a story", assistant: "Once upon a—", interrupted: true }, deadlineMs: 2000 };
const ITEM: StoreOutput = { id: "m1", kind: "turn", text: "User: tell me a story\nAssistant (interrupted): Once upon a—", importance: 0.3, createdAt: "2026-11-30T00:00:00.000Z", turnId: "t1", interrupted: true };
const EVENTS = [
  { type: "xstate.done.actor.store", output: ITEM },
  { type: "xstate.error.actor.store", error: Object.assign(new Error("The disk is full"), { code: "full" }) },
  { type: "xstate.after.memoryDeadline.cutMemory.storing" },
];
type Snapshot = ReturnType<ReturnType<typeof createActor<typeof cutMemoryMachine>>["getSnapshot"]>;
type Event = (typeof EVENTS)[number];

const traversal = {
  events: EVENTS,
  input: INPUT,
  serializeState: (s: Snapshot) => JSON.stringify([s.value, s.status]),
  filterEvents: (s: Snapshot, e: Event) => s.can(e as never),
};
const adjacency = getAdjacencyMap(cutMemoryMachine as never, traversal as never) as Record<string, { state: Snapshot; transitions: Record<string, { event: Event; state: Snapshot }> }>;
const inert = cutMemoryMachine.provide({ actors: { store: fromPromise<StoreOutput, StoreInput>(() => new Promise(() => {})) } });

describe("cut memory machine graph", () => {
  it("reaches every state node and takes every transition", () => {
    const all = getStateNodes(cutMemoryMachine.root as never);
    const reached = new Set(Object.values(adjacency).flatMap((v) => v.state._nodes.map((n) => n.id)));
    expect(all.map((n) => n.id).filter((id) => !reached.has(id))).toEqual([]);
    const taken = new Set(Object.values(adjacency).flatMap((v) => Object.values(v.transitions).flatMap((t) => cutMemoryMachine.getTransitionData(v.state as never, t.event as never))));
    const transitions = all.flatMap((node) => [...node.transitions.values()].flat());
    expect(transitions.length).toBe(3);
    expect(transitions.filter((t) => !taken.has(t))).toEqual([]);
  });

  it("replays every transition on a live actor: one outcome per settled memory, then done", () => {
    const paths = getShortestPaths(cutMemoryMachine as never, traversal as never) as StatePath<Snapshot, Event>[];
    expect(paths.map((p) => JSON.stringify(p.state.value)).sort()).toEqual(['"failed"', '"stored"', '"storing"']);
    // Every edge leaves `storing`: replay each one from the start.
    const edges = Object.values(adjacency).flatMap((v) => Object.values(v.transitions).map((t) => ({ event: t.event, to: t.state })));
    expect(edges.length).toBe(3);
    const outcomes: Record<string, VoiceEmitted[]> = {};
    for (const { event, to } of edges) {
      const actor = createActor(inert, { input: INPUT });
      const emitted: VoiceEmitted[] = [];
      actor.on("*", (e) => emitted.push(e));
      actor.start();
      actor.send(event as never);
      expect(actor.getSnapshot().value).toEqual(to.value);
      expect(actor.getSnapshot().status).toBe("done");
      outcomes[event.type] = emitted;
      actor.stop();
    }
    expect(outcomes).toEqual({
      "xstate.done.actor.store": [{ type: "memory.stored", turnId: "t1", id: "m1", kind: "turn", preview: "User: tell me a story\nAssistant (interrupted): Once upon a—", interrupted: true }],
      "xstate.error.actor.store": [{ type: "memory.failed", turnId: "t1", operation: "store", code: "full", message: "The disk is full" }],
      "xstate.after.memoryDeadline.cutMemory.storing": [{ type: "memory.failed", turnId: "t1", operation: "store", code: "timeout", message: "Memory store took longer than 2000 ms" }],
    });
  });
});
